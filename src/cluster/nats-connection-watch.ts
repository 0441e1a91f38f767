/**
 * Follows a NATS connection's state for the order bus (nats-bus.ts): down between a Disconnect
 * and the next Reconnect, up again at the Reconnect, and closed for good. nats.js reconnects by
 * itself (without end, with `maxReconnectAttempts: -1`); what the bus needs to know is when its
 * publishes can reach the server, and when a resync is due.
 */
import { Events, type NatsConnection } from 'nats';
import { errorMessage } from '../protocol/error-message.js';

export interface ConnectionEvents {
  /** The connection was lost; nats.js is reconnecting. */
  readonly down: (detail: string) => void;
  /** Connected again. */
  readonly up: (detail: string) => void;
  /**
   * The server reported an error (`code`: nats.js's, e.g. "AUTHORIZATION_VIOLATION" while a
   * reconnect is refused): told once per code until the connection is up again, not at each
   * reconnect attempt.
   */
  readonly error: (code: string) => void;
  /** Closed, and not by close(): `why` is the library's reason, if any. */
  readonly closed: (why: string | undefined) => void;
}

/**
 * Calls `on` as `nc`'s state changes, until it closes. `closing()` says whether the bus itself
 * is closing it (then `closed` is not called).
 */
export function watchConnection(nc: NatsConnection, on: ConnectionEvents, closing: () => boolean): void {
  void nc.closed().then((err) => {
    if (!closing()) {
      on.closed(err === undefined ? undefined : errorMessage(err));
    }
  });
  void (async () => {
    const told = new Set<string>();
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) {
        on.down(JSON.stringify(s.data));
      } else if (s.type === Events.Reconnect) {
        told.clear();
        on.up(JSON.stringify(s.data));
      } else if (s.type === Events.Error) {
        const code = JSON.stringify(s.data);
        if (!told.has(code)) {
          told.add(code);
          on.error(code);
        }
      }
    }
  })().catch(() => undefined);
}
