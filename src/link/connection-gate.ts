/**
 * Applies a ConnectionQuota (connection-quota.ts) to the manager's TLS server: a TCP connection
 * takes a slot of its source at accept (or is closed there, counted in
 * `riposte_input_rejected_total{entry="connection",reason="rate-limited"}`), gives it back when it
 * closes, or as soon as its handshake ends with a certificate the manager's CA issued (an agent).
 * A connection is found again at the end of its handshake by its peer address and port, unique
 * among open TCP connections to one listening port; each slot is given back once, by its own
 * socket's close whatever the address (a socket reset before its accept has none).
 *
 * Refusals are logged as one warning per WARN_EVERY_MS at most, with how many were refused since.
 */
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { trafficSource } from '../core/net/traffic-source.js';
import { recordRejection } from '../protocol/input-rejections.js';
import type { DaemonLog } from '../log/daemon-log.js';
import type { ConnectionQuota } from './connection-quota.js';

const WARN_EVERY_MS = 10_000;

function peerOf(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${String(socket.remotePort ?? '')}`;
}

export function gateConnections(server: Server, quota: ConnectionQuota, log?: Pick<DaemonLog, 'warn'>): void {
  /** The connections holding a slot, by peer, to find them again at the end of their handshake. */
  const byPeer = new Map<string, Slot>();
  const warn = refusalWarning(log);
  const give = (slot: Slot): void => {
    if (!slot.given) {
      slot.given = true;
      quota.give(slot.source);
      if (byPeer.get(slot.peer) === slot) {
        byPeer.delete(slot.peer);
      }
    }
  };
  server.on('connection', (socket: Socket) => {
    const source = trafficSource(socket.remoteAddress);
    if (!quota.take(source)) {
      recordRejection('connection', 'rate-limited');
      warn(source);
      socket.destroy();
      return;
    }
    const slot: Slot = { source, peer: peerOf(socket), given: false };
    // A socket already reset has no address: it is never found by peer, and closes at once.
    if (socket.remoteAddress !== undefined) {
      byPeer.set(slot.peer, slot);
    }
    socket.once('close', () => {
      give(slot);
    });
  });
  server.on('secureConnection', (tls: TLSSocket) => {
    const slot = tls.authorized ? byPeer.get(peerOf(tls)) : undefined;
    if (slot !== undefined) {
      give(slot);
    }
  });
}

/** One connection's slot; given back once, at its close or when it proves to be an agent. */
interface Slot {
  readonly source: string;
  readonly peer: string;
  given: boolean;
}

/** The warning for refused connections: the first at once, then one per WARN_EVERY_MS with a count. */
function refusalWarning(log: Pick<DaemonLog, 'warn'> | undefined): (source: string) => void {
  let lastAt = -Infinity;
  let since = 0;
  return (source) => {
    since += 1;
    const now = Date.now();
    if (now - lastAt < WARN_EVERY_MS) {
      return;
    }
    log?.warn(
      `Link port: ${since} connection(s) refused: too many without an agent certificate ` +
        `(in their TLS handshake, or API and enrollment clients), the latest from ${source}`,
    );
    lastAt = now;
    since = 0;
  };
}
