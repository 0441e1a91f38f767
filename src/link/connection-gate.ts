/**
 * Applies a ConnectionQuota (core/net/connection-quota.ts) to the manager's TLS server: every TCP
 * connection holds a slot of its source from its accept; a newcomer refused, or a connection
 * evicted to make room for it, is closed, counted in
 * `riposte_input_rejected_total{entry="connection",reason="rate-limited"}`.
 * A connection gives its slot back when it closes, or once it is linked as an agent (`admitted`,
 * called when `/link` authenticated its certificate against the enrolled agents: a certificate
 * that merely chains to the CA, a removed agent's, proves nothing).
 *
 * The TLS socket at `/link` is matched to its TCP connection by both ends' addresses and ports,
 * unique among open connections; each slot is given back once, by its own socket's close whatever
 * its address (a socket reset before its accept has none, and is never matched).
 *
 * Closures are logged as one warning per 10 s at most, with how many since the last one.
 */
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { trafficSource } from '../core/net/traffic-source.js';
import type { ConnectionQuota } from '../core/net/connection-quota.js';
import { LogRateLimit, recordRejection } from '../protocol/input-rejections.js';
import type { DaemonLog } from '../log/daemon-log.js';

export interface ConnectionGate {
  /** `socket` is a linked agent's: its slot is given back. */
  admitted(socket: TLSSocket): void;
}

function endsOf(socket: Socket): string | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  return remoteAddress === undefined || localAddress === undefined
    ? undefined
    : `${remoteAddress}|${String(remotePort)}|${localAddress}|${String(localPort)}`;
}

export function gateConnections(
  server: Server,
  quota: ConnectionQuota<Socket>,
  log?: Pick<DaemonLog, 'warn'>,
): ConnectionGate {
  /** Connections holding a slot, by both ends: found again when linked. */
  const byEnds = new Map<string, Socket>();
  const warn = closureWarning(log);
  const release = (socket: Socket, ends: string | undefined): void => {
    quota.give(socket);
    if (ends !== undefined && byEnds.get(ends) === socket) {
      byEnds.delete(ends);
    }
  };
  server.on('connection', (socket: Socket) => {
    const source = trafficSource(socket.remoteAddress);
    const admission = quota.take(source, socket, Date.now());
    const closed = admission.held ? admission.evicted : socket;
    if (closed !== undefined) {
      recordRejection('connection', 'rate-limited');
      warn(source);
      closed.destroy(); // an evicted one's close handler finds its slot already given
    }
    if (!admission.held) {
      return;
    }
    const ends = endsOf(socket);
    if (ends !== undefined) {
      byEnds.set(ends, socket);
    }
    socket.once('close', () => {
      release(socket, ends);
    });
  });
  return {
    admitted(tls) {
      const ends = endsOf(tls);
      const socket = ends === undefined ? undefined : byEnds.get(ends);
      if (socket !== undefined) {
        release(socket, ends);
      }
    },
  };
}

/**
 * The warning for closed connections: one per 10 s (LogRateLimit with a burst of 1, so a window's
 * one line also counts the closures the previous window did not log).
 */
function closureWarning(log: Pick<DaemonLog, 'warn'> | undefined): (source: string) => void {
  const limit = new LogRateLimit(1, 10_000);
  return (source) => {
    const { log: allowed, summary } = limit.allow(Date.now());
    if (allowed) {
      log?.warn(
        `Link port: ${summary + 1} connection(s) not linked as agents closed: too many from one source or in ` +
          'all (one held over 10 s is evicted for a newcomer, else the newcomer is refused); ' +
          `the latest newcomer from ${source}`,
      );
    }
  };
}
