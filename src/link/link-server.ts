/**
 * The manager's HTTPS server: one TLS port for the REST API (handed over by the API layer, which
 * also serves `POST /enroll`; without an API, enroll-route.ts serves it), and the agents' WebSocket
 * link at `/link` (`ws` library, 1 MiB frame cap).
 *
 * TLS: the server certificate chain is issued by the manager's CA; client certificates are
 * requested but optional at the TLS layer (API clients have none). The `/link` upgrade requires a
 * client certificate that verifies against the CA (else HTTP 401) and whose fingerprint maps to an
 * enrolled, non-removed agent (else the socket is closed with 4403 and a reason). Session tickets
 * are encrypted with keys every node of a cluster derives alike (src/pki/ticket-keys.ts), so an
 * agent resumes its TLS session on any node; a resumed session carries the client certificate and
 * goes through the same checks.
 *
 * Heartbeats (heartbeat.ts): a ping every `heartbeatMs`, the links taking turns (a slice of them
 * every 250 ms or so, not all at once), none on a link busy both ways (its frames are the signs of
 * life); a connection from which nothing came (no pong, no frame) for `deadAfterMs` is
 * terminated, and so is one probed (AgentSession.probe) that sent nothing within PROBE_ANSWER_MS;
 * each drop is logged with its reason. Malformed frames close the connection with 4400; oversized
 * ones with 1009 (ws).
 *
 * Connections: at most so many not linked as agents per source and in all; past that, one held
 * 10 s is evicted for a newcomer, else the newcomer is refused (core/net/connection-quota.ts,
 * connection-gate.ts); a handshake, a request's headers, a whole request each have a time limit.
 *
 * Backpressure: the manager stops reading an agent whose frames fill the store's backlog
 * (AgentSession.setReading, ws-reading.ts); a paused peer is not dropped for the pongs it cannot
 * have sent meanwhile.
 */
import { recordRejection } from '../protocol/input-rejections.js';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { LINK_MAX_FRAME_BYTES, LINK_PATH, LinkClose, parseAgentFrame } from '../protocol/link.js';
import { frameTexts } from '../protocol/link-pack.js';
import type { AgentSession } from '../manager/agent-sessions.js';
import type { LinkHandler } from '../manager/link-handler.js';
import type { ManagerApiHandle } from '../manager/manager-service.js';
import { handleEnroll, isEnrollRequest, type Enroll } from './enroll-route.js';
import type { ManagerPki } from '../pki/pki.js';
import { TICKET_LIFETIME_S, sessionIdContextOf, ticketEpoch, ticketKeysAt } from '../pki/ticket-keys.js';
import { listenServer } from '../net/listen-server.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { freshLiveness, probeLiveness } from './peer-liveness.js';
import { HeartbeatTurns, startHeartbeat, type HeartbeatOptions, type HeartbeatPeer } from './heartbeat.js';
import { closeWs, setWsReading } from './ws-reading.js';
import { ConnectionQuota, type ConnectionLimits } from '../core/net/connection-quota.js';
import { gateConnections, type ConnectionGate } from './connection-gate.js';

/**
 * A TLS handshake not done within this is dropped (Node's default, 120 s, let anyone hold a
 * connection that long without sending a byte); an agent's takes milliseconds, seconds on a node
 * busy with a failover's reconnections.
 */
const HANDSHAKE_TIMEOUT_MS = 20_000;
/** An HTTP request's headers, and the whole request (a 1 MiB `POST /alerts`), must arrive within these. */
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 120_000;
/** How often those two are checked (Node's default, 30 s, let a request's headers take up to 50 s). */
const TIMEOUTS_CHECKED_EVERY_MS = 2_000;

export interface LinkServerOptions {
  readonly pki: ManagerPki;
  readonly handler: LinkHandler;
  readonly enroll: Enroll;
  /** @default 10000 */
  readonly heartbeatMs?: number;
  /** @default 30000 */
  readonly deadAfterMs?: number;
  /** A TLS handshake longer than this is dropped. @default HANDSHAKE_TIMEOUT_MS (20 s) */
  readonly handshakeTimeoutMs?: number;
  /** Connections not linked as agents held at once (core/net/connection-quota.ts). */
  readonly connectionLimits?: ConnectionLimits;
  /** Where the listening server's errors go (an accept that fails), and refused connections. */
  readonly log?: Pick<DaemonLog, 'warn'>;
}

export interface LinkServer {
  readonly server: Server;
  /** Routes non-enroll HTTP requests to the REST API (404 until set). */
  setApi(api: ManagerApiHandle | undefined): void;
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

function refuseUpgrade(socket: Duplex, status: string, message: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${message}\n`);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'REQUEST_INVALID', message: 'Not found' } }));
}

/** The heartbeat's period and dead-link limit: a ping every 10 s, dropped after 30 s, by default. */
function heartbeatOptions(opts: LinkServerOptions): HeartbeatOptions {
  return { everyMs: opts.heartbeatMs ?? 10_000, deadAfterMs: opts.deadAfterMs ?? 30_000, log: opts.log };
}

export function createLinkServer(opts: LinkServerOptions): LinkServer {
  let api: ManagerApiHandle | undefined;
  const server = createServer(
    {
      key: opts.pki.server.key,
      cert: opts.pki.server.cert + opts.pki.ca.cert,
      ca: opts.pki.ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ticketKeys: ticketKeysAt(opts.pki.ticketSecret, Date.now()),
      sessionTimeout: TICKET_LIFETIME_S,
      sessionIdContext: sessionIdContextOf(opts.pki.ca.cert),
      handshakeTimeout: opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUTS_CHECKED_EVERY_MS,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      if (api !== undefined) {
        api.handle(req, res);
      } else if (isEnrollRequest(req)) {
        void handleEnroll(req, res, opts.enroll);
      } else {
        notFound(res);
      }
    },
  );
  const gate = gateConnections(server, new ConnectionQuota<Socket>(opts.connectionLimits), opts.log);
  const wss = new WebSocketServer({ noServer: true, maxPayload: LINK_MAX_FRAME_BYTES });
  const live = new Map<WebSocket, HeartbeatPeer>();
  const turns = new HeartbeatTurns();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade({ req, socket, head, wss, handler: opts.handler, live, turns, gate });
  });
  const timer = startHeartbeat(live, heartbeatOptions(opts));
  const rotation = rotateTicketKeys(server, opts.pki.ticketSecret);
  return {
    server,
    setApi(a) {
      api = a;
    },
    listen: (host, port) => listen(server, host, port, opts.log),
    async close() {
      clearInterval(timer);
      clearInterval(rotation);
      // Every session's close handler runs before this resolves (the caller closes the store next).
      await Promise.all([...live.keys()].map(closeSocket));
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) {
      resolve();
      return;
    }
    ws.once('close', () => {
      resolve();
    });
    closeWs(ws, LinkClose.SHUTDOWN, 'manager stopping');
    setTimeout(() => {
      ws.terminate();
    }, 1_000).unref();
  });
}

async function listen(
  server: Server,
  host: string,
  port: number,
  log: LinkServerOptions['log'],
): Promise<{ host: string; port: number }> {
  await listenServer(server, { host, port }, 'the API, enrollment and agent link (--listen)', (err) => {
    log?.warn(`Link port: ${err.message}`);
  });
  const addr = server.address();
  return { host, port: typeof addr === 'object' && addr !== null ? addr.port : port };
}

/** Switches to the next epoch's ticket keys when it starts (checked every minute). */
function rotateTicketKeys(server: Server, secret: string): NodeJS.Timeout {
  let epoch = ticketEpoch(Date.now());
  const timer = setInterval(() => {
    const now = Date.now();
    if (ticketEpoch(now) !== epoch) {
      epoch = ticketEpoch(now);
      server.setTicketKeys(ticketKeysAt(secret, now));
    }
  }, 60_000);
  timer.unref();
  return timer;
}

interface UpgradeArgs {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly wss: WebSocketServer;
  readonly handler: LinkHandler;
  readonly live: Map<WebSocket, HeartbeatPeer>;
  readonly turns: HeartbeatTurns;
  readonly gate: ConnectionGate;
}

function isTlsSocket(s: IncomingMessage['socket']): s is TLSSocket {
  return 'authorized' in s && 'getPeerCertificate' in s;
}

function onUpgrade(a: UpgradeArgs): void {
  if ((a.req.url ?? '').split('?')[0] !== LINK_PATH) {
    refuseUpgrade(a.socket, '404 Not Found', 'Unknown path');
    return;
  }
  const tls = a.req.socket;
  if (!isTlsSocket(tls) || !tls.authorized) {
    refuseUpgrade(a.socket, '401 Unauthorized', 'A client certificate issued by this manager is required');
    return;
  }
  // The X509 handle hashes on demand; getPeerCertificate() would build the whole certificate as an
  // object with three fingerprints, per connection (thousands after a node's failover).
  const fingerprint = tls.getPeerX509Certificate()?.fingerprint256 ?? '';
  a.handler.authenticate(fingerprint).then(
    (auth) => {
      a.wss.handleUpgrade(a.req, a.socket, a.head, (ws) => {
        // First, also for a refused one: ws goes on reading while the close handshake runs, and
        // a bad frame then (too big, a bad opcode) is an 'error' event that must not end the manager.
        ws.on('error', () => {
          ws.terminate();
        });
        if (!auth.ok) {
          ws.close(LinkClose.FORBIDDEN, auth.reason);
          return;
        }
        a.gate.admitted(tls); // a linked agent: bounded by enrollment, not by the connection quota
        attach(ws, auth.agentId, a);
      });
    },
    () => {
      refuseUpgrade(a.socket, '503 Service Unavailable', 'The manager store does not answer');
    },
  );
}

function rawText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function byteLength(data: Buffer | ArrayBuffer | Buffer[]): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
}

function attach(ws: WebSocket, agentId: string, a: UpgradeArgs): void {
  // The heartbeat's view of this link: what it sends and hears is a sign of life (heartbeat.ts).
  const peer: HeartbeatPeer = { ...freshLiveness(Date.now()), agentId, turn: a.turns.next() };
  const session: AgentSession = {
    address: a.req.socket.remoteAddress ?? 'unknown',
    send: (frame) => {
      for (const text of frameTexts(frame)) {
        ws.send(text);
      }
      peer.lastSpoke = Date.now();
    },
    close: (code, reason) => {
      closeWs(ws, code, reason);
    },
    retry: () => {
      closeWs(ws, LinkClose.RETRY, 'the manager could not store your frames: reconnect and re-send them');
    },
    setReading: (on) => {
      setWsReading(ws, peer, on);
    },
    probe: () => {
      if (a.live.has(ws)) {
        const now = Date.now();
        probeLiveness(peer, now); // the heartbeat drops it if nothing comes in time
        peer.lastSpoke = now;
        ws.ping();
      }
    },
  };
  a.live.set(ws, peer);
  a.handler.opened(agentId, session);
  ws.on('pong', () => {
    peer.lastHeard = Date.now();
    a.handler.seen(agentId);
  });
  ws.on('message', (data, isBinary) => {
    peer.lastHeard = Date.now();
    const parsed = isBinary ? undefined : parseAgentFrame(rawText(data));
    if (!parsed?.ok) {
      recordRejection('link', 'invalid');
      closeWs(ws, LinkClose.MALFORMED, parsed?.error ?? 'binary frames are not accepted');
      return;
    }
    a.handler.frame(agentId, session, parsed.frame, byteLength(data));
  });
  ws.on('close', () => {
    a.live.delete(ws);
    a.handler.closed(agentId, session);
  });
}
