/**
 * The agent's connection to its manager: `wss://MANAGER/link` with its client certificate, trusting
 * only the CA pinned at enrollment (never system CAs) and a server certificate whose CN is
 * `riposte-manager` (no host-name check: agents often reach the manager through NAT or by IP).
 * Reconnects with exponential backoff and full jitter (1 s .. 60 s); a connection on which nothing
 * arrives from the manager (no ping, no frame) for `deadAfterMs` is dropped and re-dialled. A 4403
 * close (agent removed) stops reconnecting.
 *
 * Several managers (agent.json `managers`, the nodes of one cluster): after any close or failed
 * dial the next address is tried; the backoff grows per full round of failed addresses, so a dead
 * node costs one quick refused dial (at most `minBackoffMs` of jitter) before the next node is
 * tried. Whatever was queued for the agent is in the shared store and sent on its hello. The
 * backoff starts again at a welcome, not at the WebSocket's open: a node that accepts the link and
 * then closes it (1013: its store is down) is a failed dial, or every agent would redial it within
 * `minBackoffMs` for the whole outage.
 *
 * TLS session resumption: the agent keeps the last session ticket a manager gave it and offers it
 * on its next dial, to any address (the nodes of a cluster share their ticket keys,
 * src/pki/ticket-keys.ts): a failover then costs a resumed handshake instead of a full one. A ticket
 * no node accepts (expired, another cluster) just means a full handshake. Once a day, after the
 * ticket keys change, the ticket is renewed on the side (ticket-refresh.ts).
 *
 * The protocol itself lives in agent-link-session.ts; this file is transport only.
 */
import {
  connect as tlsConnect,
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
} from 'node:tls';
import { isIP } from 'node:net';
import WebSocket from 'ws';
import type { AgentRuntime } from '../agent/agent-runtime.js';
import {
  AGENT_DEAD_AFTER_MS,
  LINK_MAX_FRAME_BYTES,
  LINK_PATH,
  LinkClose,
  parseManagerFrame,
} from '../protocol/link.js';
import { frameTexts } from '../protocol/link-pack.js';
import { readAgentCredentials, readAgentLinkConfig, type AgentCredentials } from './agent-link-config.js';
import { AgentLinkSession } from './agent-link-session.js';
import { installArConf } from './install-ar-conf.js';
import { backoffDelay } from './backoff.js';
import { nextRefreshAt, refreshTicket } from './ticket-refresh.js';
import { addLinkPeer } from '../net/host-addresses.js';
import { MANAGER_CN } from '../pki/fingerprint.js';
import { errorMessage } from '../protocol/error-message.js';

export const RIPOSTE_VERSION = '0.1.0';

export interface AgentConnectorOptions {
  /** Active response disabled in the agent's ossec.conf (reported to the manager). @default false */
  readonly disabled?: boolean;
  /** @default 1000 */
  readonly minBackoffMs?: number;
  /** @default 60000 */
  readonly maxBackoffMs?: number;
  /** Drop a link on which nothing arrived for this long, ms. @default AGENT_DEAD_AFTER_MS */
  readonly deadAfterMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface AgentConnector {
  readonly agentId: string;
  /** Wire to the execd `onExecution` hook; also polled every few seconds as a fallback. */
  notifyExecution(executionId: number): void;
  isConnected(): boolean;
  stop(): Promise<void>;
}

/** ws's masking key generator: all zero (see the dial options). */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/**
 * ws's own TLS dial (servername as ws sets it: none for an IP literal), keeping every session
 * ticket the manager sends (`keep`).
 */
export function ticketKeepingConnect(keep: (session: Buffer) => void): (o: ConnectionOptions) => TLSSocket {
  return (o) => {
    const host = o.host ?? '';
    const socket = tlsConnect({
      ...o,
      path: undefined,
      ...(o.servername === undefined ? { servername: isIP(host) === 0 ? host : '' } : {}),
    } as ConnectionOptions);
    socket.on('session', keep);
    return socket;
  };
}

function checkManagerIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  const cn: unknown = cert.subject.CN;
  return cn === MANAGER_CN
    ? undefined
    : new Error(`server certificate CN "${String(cn)}" is not ${MANAGER_CN}`);
}

/**
 * Starts the link when `<home>/etc/pki/agent.json` exists (the agent was enrolled); returns
 * undefined otherwise. Call after `startAgentRuntime`, and stop it before the runtime.
 */
export function startAgentConnector(
  runtime: Pick<AgentRuntime, 'execd' | 'store' | 'log'>,
  home: string,
  opts: AgentConnectorOptions = {},
): AgentConnector | undefined {
  const cfg = readAgentLinkConfig(home);
  if (cfg === undefined) {
    return undefined;
  }
  const session = new AgentLinkSession({
    execd: runtime.execd,
    store: runtime.store,
    log: runtime.log,
    version: RIPOSTE_VERSION,
    disabled: opts.disabled ?? false,
    installArConf: (text) => {
      installArConf(home, text);
    },
    ca: cfg.caFingerprint,
  });
  const dialer = new Dialer({
    urls: cfg.managers.map((m) => `wss://${m}${LINK_PATH}`),
    creds: readAgentCredentials(home),
    session,
    runtime,
    opts,
  });
  dialer.dial();
  const poll = setInterval(() => {
    session.notifyExecution();
  }, 5_000);
  poll.unref();
  return {
    agentId: cfg.id,
    notifyExecution: (executionId) => {
      session.notifyExecution(executionId);
    },
    isConnected: () => dialer.isOpen(),
    stop: async () => {
      clearInterval(poll);
      await dialer.stop();
    },
  };
}

interface DialerParts {
  /** At least one. */
  readonly urls: readonly string[];
  readonly creds: AgentCredentials;
  readonly session: AgentLinkSession;
  readonly runtime: Pick<AgentRuntime, 'log'>;
  readonly opts: AgentConnectorOptions;
}

class Dialer {
  private ws: WebSocket | undefined;
  /** Consecutive closes/failed dials since the last welcome (see the module comment). */
  private attempt = 0;
  /** Index in `urls` of the address dialled last. */
  private current = 0;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  /** Drops `ws` when nothing arrived on it for deadAfterMs (see touch). */
  private liveness: { readonly ws: WebSocket; readonly timer: NodeJS.Timeout } | undefined;
  /** The last TLS session ticket received, offered on the next dial (resumption). */
  private tlsSession: Buffer | undefined;
  private refresh: NodeJS.Timeout | undefined;

  constructor(private readonly p: DialerParts) {}

  isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private url(): string {
    return this.p.urls[this.current % this.p.urls.length] ?? '';
  }

  /** Renews the session ticket once a day while the link is open (ticket-refresh.ts). */
  private scheduleRefresh(): void {
    const random = this.p.opts.random ?? Math.random;
    this.refresh = setTimeout(
      () => {
        if (this.stopped) {
          return;
        }
        if (this.isOpen()) {
          void refreshTicket({
            url: this.url(),
            ...this.p.creds,
            checkServerIdentity: checkManagerIdentity,
          }).then((ticket) => {
            this.tlsSession = ticket ?? this.tlsSession;
          });
        }
        this.scheduleRefresh();
      },
      nextRefreshAt(Date.now(), random) - Date.now(),
    );
    this.refresh.unref();
  }

  dial(): void {
    if (this.refresh === undefined) {
      this.scheduleRefresh();
    }
    const url = this.url();
    const options: ConnectionOptions & WebSocket.ClientOptions = {
      ca: this.p.creds.ca,
      cert: this.p.creds.cert,
      key: this.p.creds.key,
      maxPayload: LINK_MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
      // A zero masking key: ws then skips masking here and unmasking on the manager (two passes over
      // every byte sent, ~22 MB for a burst's reports). Masking protects plaintext proxies from
      // frames a browser script crafted; inside this mutually authenticated TLS link none sees them.
      generateMask: zeroMask,
      ...(this.tlsSession !== undefined ? { session: this.tlsSession } : {}),
    };
    // ws calls createConnection with its TLS options for an https URL (typed as net's by ws).
    options.createConnection = ticketKeepingConnect((session) => {
      this.tlsSession = session;
    }) as unknown as WebSocket.ClientOptions['createConnection'];
    // ws passes TLS options through to tls.connect, whose checkServerIdentity returns Error | undefined
    // (ws's own typing of that callback is wrong), so it is set on the TLS side of the type.
    (options as ConnectionOptions).checkServerIdentity = checkManagerIdentity;
    const ws = new WebSocket(url, options);
    this.ws = ws;
    ws.on('upgrade', (res) => {
      // The manager's address as connected: never a response target on this agent (issue 13.6).
      addLinkPeer(res.socket.remoteAddress);
    });
    ws.on('open', () => {
      this.p.runtime.log.info(`Connected to the manager at ${url}.`);
      this.touch(ws);
      // ws holds what the manager does not read yet (bufferedAmount): the session reads no more
      // reports from the store while that is over its bound (REPORT_UNSENT_MAX_BYTES).
      this.p.session.connected(
        (frame) => {
          for (const text of frameTexts(frame)) {
            ws.send(text);
          }
        },
        () => ws.bufferedAmount,
        () => {
          ws.close(LinkClose.INTERNAL, 'the agent could not read its reports');
        },
      );
    });
    ws.on('ping', () => {
      this.touch(ws);
    });
    ws.on('message', (data) => {
      this.onMessage(ws, data);
    });
    ws.on('error', (err) => {
      this.p.runtime.log.warn(`Manager link error: ${err.message}`);
    });
    ws.on('close', (code, reason) => {
      this.closed(ws, code, reason.toString('utf8'));
    });
  }

  /** A frame from the manager: a sign of life as a ping is (AGENT_DEAD_AFTER_MS), then its work. */
  private onMessage(ws: WebSocket, data: WebSocket.RawData): void {
    this.touch(ws);
    const parsed = parseManagerFrame(Buffer.isBuffer(data) ? data.toString('utf8') : '');
    if (!parsed.ok) {
      ws.close(LinkClose.MALFORMED, parsed.error);
      return;
    }
    try {
      this.p.session.onFrame(parsed.frame);
    } catch (err: unknown) {
      // The session's store failing (a full disk, an I/O error) ends this connection, never the
      // agent: nothing it could not take in was acked, so the manager redelivers it.
      const why = errorMessage(err);
      this.p.runtime.log.error(`Manager link: could not take in a '${parsed.frame.type}' frame: ${why}.`);
      ws.close(LinkClose.INTERNAL, 'the agent could not take in a frame');
      return;
    }
    if (parsed.frame.type === 'welcome') {
      this.attempt = 0; // the manager took this agent in: the backoff starts again
    }
  }

  /** A sign of life on `ws`: its timer is pushed back (one per connection, not one per frame). */
  private touch(ws: WebSocket): void {
    if (this.liveness?.ws === ws) {
      this.liveness.timer.refresh();
      return;
    }
    this.endLiveness();
    const timer = setTimeout(() => {
      ws.terminate();
    }, this.p.opts.deadAfterMs ?? AGENT_DEAD_AFTER_MS);
    timer.unref();
    this.liveness = { ws, timer };
  }

  /** Forgets the liveness timer (a `refresh` would arm a cleared one again). */
  private endLiveness(): void {
    clearTimeout(this.liveness?.timer);
    this.liveness = undefined;
  }

  private closed(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) {
      return;
    }
    this.endLiveness();
    this.p.session.disconnected();
    if (this.stopped) {
      return;
    }
    if (code === LinkClose.FORBIDDEN) {
      this.p.runtime.log.error(`The manager refused this agent (${reason}): not reconnecting.`);
      return;
    }
    const round = Math.floor(this.attempt++ / this.p.urls.length);
    this.current = (this.current + 1) % this.p.urls.length;
    const delay = backoffDelay(round, this.p.opts.random ?? Math.random, {
      ...(this.p.opts.minBackoffMs !== undefined ? { minMs: this.p.opts.minBackoffMs } : {}),
      ...(this.p.opts.maxBackoffMs !== undefined ? { maxMs: this.p.opts.maxBackoffMs } : {}),
    });
    this.p.runtime.log.info(
      `Manager link closed (${code}${reason ? `: ${reason}` : ''}); trying ${this.url()} in ${delay} ms.`,
    );
    this.retry = setTimeout(() => {
      this.dial();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.refresh);
    this.endLiveness();
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) {
      return;
    }
    await new Promise<void>((resolve) => {
      ws.once('close', () => {
        resolve();
      });
      ws.close(LinkClose.SHUTDOWN, 'agent stopping');
      setTimeout(() => {
        ws.terminate();
      }, 2_000).unref();
    });
  }
}
