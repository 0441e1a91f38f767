/**
 * The order bus over NATS JetStream (`--bus nats://HOST:PORT`, order-bus.ts): batches are
 * published to the subject `riposte.orders` of the stream RIPOSTE_ORDERS (file storage, messages
 * kept 5 minutes: they are hand-offs, the store keeps the orders) and acknowledged by the server
 * (PubAck) before they count as sent; every node reads the stream in order through a consumer of
 * its own from "new", made again after the last message read when it is lost, so a short outage
 * of the node's connection loses no message (nats-stream-reader.ts). Batches that cannot be
 * published are retried (bounded), and wait in the node while its connection is down. A stream
 * that is gone (deleted, or a server restarted without its JetStream store) is made again, and
 * the node then resyncs from the store. Batches routed to one node go on
 * the same subject: every node reads them and skips those for another node by their first
 * characters (order-bus.ts). A subject per node would need a second consumer per node (one for
 * the messages to every node), since a consumer takes several filter subjects only from NATS 2.10.
 */
import { randomUUID } from 'node:crypto';
import {
  RetentionPolicy,
  StorageType,
  connect,
  nanos,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from 'nats';
import type { BusHandlers, BusOrder, OrderBus, RouteChange } from './order-bus.js';
import { BusOutbox, type OutboxBus } from './bus-outbox.js';
import { PublishWindow } from './publish-window.js';
import { BusReceiver } from './bus-receive.js';
import type { BusSeal } from './bus-seal.js';
import { natsConnectAuth, type NatsAuth } from './nats-auth.js';
import { natsConnectTls, type NatsTls } from './nats-tls.js';
import { natsStartError } from './nats-start-error.js';
import { errorMessage } from '../protocol/error-message.js';
import { StreamReader } from './nats-stream-reader.js';
import { watchConnection, type ConnectionEvents } from './nats-connection-watch.js';

export const NATS_ORDER_STREAM = 'RIPOSTE_ORDERS';
export const NATS_ORDER_SUBJECT = 'riposte.orders';
/** Below NATS's default max_payload (1 MiB). */
const MAX_PAYLOAD_BYTES = 512 * 1024;
const MAX_PENDING = 10_000;
/** Publishes in flight at once (each waits for its PubAck). */
const IN_FLIGHT = 64;

const STREAM_CONFIG = {
  name: NATS_ORDER_STREAM,
  subjects: [NATS_ORDER_SUBJECT],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  max_age: nanos(5 * 60_000),
};

/** How often the client pings the server; two pings unanswered end the connection (reconnect). */
const NATS_PING_MS = 5_000;

export interface NatsBusOptions {
  /** nats://HOST:PORT or tls://HOST:PORT (several separated by commas). */
  readonly servers: string;
  /** Seals what this node sends and checks what it receives (bus-seal.ts). */
  readonly seal: BusSeal;
  /** How to authenticate to the server (nats-auth.ts). @default none */
  readonly auth?: NatsAuth;
  /** TLS to the server (nats-tls.ts). @default none: nats.js's own choice (see there) */
  readonly tls?: NatsTls;
  readonly onWarn?: (text: string) => void;
}

export function createNatsBus(opts: NatsBusOptions): OrderBus {
  return new NatsBus(opts);
}

class NatsBus implements OrderBus, OutboxBus {
  readonly kind = 'nats';
  readonly node = randomUUID();
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  /** Reads the stream (nats-stream-reader.ts). */
  private reader: StreamReader | undefined;
  /** A publish failed and none has succeeded since: warned once per such episode. */
  private publishFailing = false;
  /** A publish failed for want of a stream (a 503): the retry makes the stream again first. */
  private noStream = false;
  private readonly outbox: BusOutbox;
  /** The publishes in flight; the failed ones put back in order (publish-window.ts). */
  private readonly window: PublishWindow<string>;
  private readonly receiver: BusReceiver;
  private closed = false;
  /** The connection is down (nats-connection-watch.ts): publishes wait in the outbox. */
  private away = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly opts: NatsBusOptions) {
    const limits = { maxBytes: MAX_PAYLOAD_BYTES, maxPending: MAX_PENDING };
    this.outbox = new BusOutbox(this.node, limits, this, opts.seal);
    this.window = new PublishWindow({
      pending: this.outbox.pending,
      limit: IN_FLIGHT,
      sent: () => {
        this.published();
      },
      failed: (err) => {
        this.publishFailed(err);
      },
      retry: () => {
        this.retryLater();
      },
    });
    this.receiver = new BusReceiver(this.node, opts.seal, (t) => {
      this.warn(t);
    });
  }

  private warn(text: string): void {
    this.opts.onWarn?.(text);
  }

  async start(handlers: BusHandlers): Promise<void> {
    const tls = this.opts.tls ?? { kind: 'none' };
    const nc = await connect({
      servers: this.opts.servers.split(',').map((s) => s.trim()),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // A path that drops packets without a close is found in ~10 s, not nats.js's 4 minutes
      // (a ping every 2 min, 2 unanswered): until then publishes time out into a dead socket.
      pingInterval: NATS_PING_MS,
      maxPingOut: 2,
      // nats.js gives up reconnecting for good after the same auth error twice in a row (a server
      // restarted with credentials being changed): this node would stay up, off the bus forever.
      ignoreAuthErrorAbort: true,
      name: `riposte-manager-${this.node}`,
      ...natsConnectAuth(this.opts.auth ?? { kind: 'none' }),
      ...natsConnectTls(tls, this.opts.servers),
    }).catch((err: unknown) => {
      throw natsStartError(err, this.opts.servers, tls);
    });
    this.nc = nc;
    this.jsm = await nc.jetstreamManager();
    await this.ensureStream();
    this.js = nc.jetstream();
    this.reader = new StreamReader({
      js: this.js,
      jsm: this.jsm,
      stream: NATS_ORDER_STREAM,
      ensureStream: () => this.ensureStream(),
      receive: (text) => {
        this.receiver.receive(text, handlers);
      },
      resync: () => {
        handlers.onResync();
      },
      warn: (t) => {
        this.warn(t);
      },
    });
    await this.reader.start();
    this.flush(); // what was published or announced while connecting
    watchConnection(nc, this.connectionEvents(handlers), () => this.closed);
  }

  private connectionEvents(handlers: BusHandlers): ConnectionEvents {
    return {
      down: (detail) => {
        this.away = true;
        this.warn(`Order bus (NATS): disconnect (${detail}).`);
      },
      up: (detail) => {
        this.away = false;
        this.warn(`Order bus (NATS): reconnect (${detail}).`);
        this.flush();
        // The reader resumes where it was, but what the stream dropped meanwhile (kept 5
        // minutes) is gone: the agents' queued orders are sent again from the store.
        handlers.onResync();
      },
      error: (code) => {
        this.warn(`Order bus (NATS): the server reports ${code}.`);
      },
      closed: (why) => {
        const text = why === undefined ? '' : `: ${why}`;
        this.warn(`Order bus (NATS): connection closed for good${text}; restart this node to rejoin.`);
      },
    };
  }

  /** Creates the stream unless it exists (first node, or a server that lost its JetStream store). */
  private async ensureStream(): Promise<void> {
    const jsm = this.jsm;
    if (jsm === undefined) {
      return;
    }
    try {
      await jsm.streams.info(NATS_ORDER_STREAM);
    } catch {
      await jsm.streams.add(STREAM_CONFIG);
    }
  }

  isClosed(): boolean {
    return this.closed;
  }

  dropped(count: number): void {
    this.warn(`Order bus (NATS): ${count} batch(es) dropped (the store keeps the orders).`);
  }

  publish(orders: readonly BusOrder[], to?: string): void {
    this.outbox.publish(orders, to);
  }

  announce(change: RouteChange): void {
    this.outbox.announce(change);
  }

  /**
   * Publishes what the outbox holds, unless the connection is down: a publish then can only time
   * out (after 5 s), and the batch handed off first after the reconnect waited for the last such
   * try to end. The reconnect flushes at once instead.
   */
  flush(): void {
    const js = this.js;
    if (js !== undefined && !this.closed && !this.away) {
      this.window.flush((batch) => js.publish(NATS_ORDER_SUBJECT, batch));
    }
  }

  private published(): void {
    if (this.publishFailing) {
      this.publishFailing = false;
      this.warn('Order bus (NATS): publishing again.');
    }
    this.flush();
  }

  /** A publish was refused: warned once until one succeeds. */
  private publishFailed(err: unknown): void {
    if (!this.publishFailing) {
      this.publishFailing = true;
      this.warn(`Order bus (NATS): publish failed: ${errorMessage(err)}; retrying.`);
    }
    if (err instanceof Error && (err as { code?: unknown }).code === '503') {
      this.noStream = true; // no stream answers the subject: it is gone
    }
  }

  /**
   * The failed publishes are back in the queue: flushed again in 500 ms, after making the stream
   * again if one of them found it gone.
   */
  private retryLater(): void {
    if (this.retry !== undefined || this.closed) {
      return;
    }
    this.retry = setTimeout(() => {
      this.retry = undefined;
      const noStream = this.noStream;
      this.noStream = false;
      (noStream ? this.ensureStream() : Promise.resolve()).then(
        () => {
          this.flush();
        },
        () => {
          this.flush();
        },
      );
    }, 500);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.reader?.stop();
    // A drain refused, or one that could not finish (nats.js's drain resolves without closing
    // when its flush fails: the server down) must still end the client: with reconnects never
    // abandoned, a client left open tries again for ever and keeps the process alive.
    const nc = this.nc;
    await nc?.drain().catch(() => undefined);
    if (nc !== undefined && !nc.isClosed()) {
      await nc.close();
    }
  }
}
