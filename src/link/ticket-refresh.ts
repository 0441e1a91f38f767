/**
 * Keeps an agent's TLS session ticket usable on a long-lived link. A manager gives a ticket only
 * when the agent connects, and a ticket decrypts only within the key epoch it was made in
 * (src/pki/ticket-keys.ts: every node switches keys at the same instant). So once a day, shortly
 * after the epoch changes (at a random point of the first hour, so agents do not all come at once),
 * the connector opens a second TLS connection to its manager (a full handshake: the ticket it holds
 * is of the epoch that just ended), keeps the fresh ticket the manager sends, and closes it: one
 * handshake per agent per day, and a failover later that day resumes on the survivor instead of a
 * full handshake. The link itself is not touched.
 *
 * The manager flushes the tickets it queued after the handshake only when it next writes, so the
 * side connection asks for an upgrade to a path the link server refuses at once (404 "Unknown
 * path", before any store read, API, audit or log): that answer carries the ticket.
 */
import { connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { TICKET_EPOCH_MS, ticketEpoch } from '../pki/ticket-keys.js';

/** Within how long after an epoch starts the refresh comes (spread by `random`). */
export const REFRESH_SPREAD_MS = 3_600_000;

/** When to refresh next: a random point of the first hour of the epoch after `now`'s. */
export function nextRefreshAt(now: number, random: () => number): number {
  return (ticketEpoch(now) + 1) * TICKET_EPOCH_MS + Math.floor(random() * REFRESH_SPREAD_MS);
}

export interface RefreshTarget {
  /** `wss://host:port/link` (the link's URL). */
  readonly url: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

/**
 * One TLS handshake with the link's manager; resolves with the ticket the manager sends (undefined
 * when none came within the timeout, or on any error: the old one stays).
 */
export function refreshTicket(t: RefreshTarget): Promise<Buffer | undefined> {
  const u = new URL(t.url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const options: ConnectionOptions = {
    host,
    port: Number(u.port || 443),
    servername: isIP(host) === 0 ? host : '',
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    checkServerIdentity: t.checkServerIdentity,
  };
  return new Promise((resolve) => {
    const socket = connect(options);
    const done = (ticket: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ticket);
    };
    const timer = setTimeout(() => {
      done(undefined);
    }, t.timeoutMs ?? 10_000);
    timer.unref();
    socket.once('session', (ticket: Buffer) => {
      done(ticket);
    });
    socket.on('error', () => {
      done(undefined);
    });
    socket.on('close', () => {
      done(undefined);
    });
    socket.once('secureConnect', () => {
      socket.write(
        'GET /ticket-refresh HTTP/1.1\r\nHost: riposte\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      );
    });
    socket.resume(); // read the post-handshake messages (the ticket comes after the handshake)
  });
}
