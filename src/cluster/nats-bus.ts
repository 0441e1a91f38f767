/**
 * The order bus over NATS JetStream (`--bus nats://HOST:PORT`, order-bus.ts): batches are
 * published to the subject `riposte.orders` of the stream RIPOSTE_ORDERS (file storage, messages
 * kept 5 minutes: they are hand-offs, the store keeps the orders) and acknowledged by the server
 * (PubAck) before they count as sent; every node reads the stream through its own ordered consumer
 * from "new", which resumes at its last position after a reconnect, so a short outage of the
 * node's connection loses no message. Batches that cannot be published are retried (bounded).
 * A stream or consumer that is gone (deleted, or a server restarted without its JetStream store)
 * is made again, and the node then resyncs from the store: the library's report of it, or the
 * stream looked at every 3 s (nats-stream-watch.ts), says so. Batches routed to one node go on
 * the same subject: every node reads them and skips those for another node by their first
 * characters (order-bus.ts). A subject per node would need a second consumer per node (one for
 * the messages to every node), since a consumer takes several filter subjects only from NATS 2.10.
 */
import { randomUUID } from 'node:crypto';
import {
  ConsumerEvents,
  DeliverPolicy,
  Events,
  RetentionPolicy,
  StorageType,
  connect,
  nanos,
  type ConsumerMessages,
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
import { watchStream, type StreamWatch } from './nats-stream-watch.js';

export const NATS_ORDER_STREAM = 'RIPOSTE_ORDERS';
export const NATS_ORDER_SUBJECT = 'riposte.orders';
/** Below NATS's default max_payload (1 MiB). */
const MAX_PAYLOAD_BYTES = 512 * 1024;
const MAX_PENDING = 10_000;
/** Publishes in flight at once (each waits for its PubAck). */
const IN_FLIGHT = 64;
/** Longest wait between two attempts to make a lost consumer again. */
const MAX_RECOVERY_MS = 10_000;

const STREAM_CONFIG = {
  name: NATS_ORDER_STREAM,
  subjects: [NATS_ORDER_SUBJECT],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  max_age: nanos(5 * 60_000),
};

/**
 * What the library reports when the stream is gone (see consume). Not ConsumerNotFound: an
 * ordered consumer is not kept by a server restart, and the library makes it again itself; not
 * NoResponders: any 503 on a pull, JetStream briefly unavailable (a restart, a leader election)
 * included, which the library rides out.
 */
const CONSUMER_LOST: ReadonlySet<string> = new Set([
  ConsumerEvents.StreamNotFound,
  ConsumerEvents.ConsumerDeleted,
]);
/** A new consumer reads again from this long before its predecessor was lost (server clocks differ). */
const REREAD_MS = 5_000;

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
  private handlers: BusHandlers | undefined;
  private messages: ConsumerMessages | undefined;
  /** Looks at whether the stream of `messages` is still there (nats-stream-watch.ts). */
  private watch: StreamWatch | undefined;
  private recovery: NodeJS.Timeout | undefined;
  /** A publish failed and none has succeeded since: warned once per such episode. */
  private publishFailing = false;
  /** A publish failed for want of a stream (a 503): the retry makes the stream again first. */
  private noStream = false;
  private readonly outbox: BusOutbox;
  /** The publishes in flight; the failed ones put back in order (publish-window.ts). */
  private readonly window: PublishWindow<string>;
  private readonly receiver: BusReceiver;
  private closed = false;
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
    this.handlers = handlers;
    await this.consume();
    this.flush(); // what was published or announced while connecting
    void nc.closed().then((err) => {
      if (!this.closed) {
        const why = err === undefined ? '' : `: ${errorMessage(err)}`;
        this.warn(`Order bus (NATS): connection closed for good${why}; restart this node to rejoin.`);
      }
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === Events.Disconnect || s.type === Events.Reconnect) {
          this.warn(`Order bus (NATS): ${s.type} (${JSON.stringify(s.data)}).`);
        }
        if (s.type === Events.Reconnect) {
          this.flush();
          // The ordered consumer resumes where it was, but what the stream dropped meanwhile
          // (kept 5 minutes) is gone: the agents' queued orders are sent again from the store.
          handlers.onResync();
        }
      }
    })().catch(() => undefined);
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

  /**
   * Reads the stream from "new" through an ordered consumer. The consumer is given up and made
   * again (recover) when its messages end, or when the library reports the stream or consumer
   * gone, or the stream watch finds it gone or made again by another node (nats-stream-watch.ts):
   * a stream deleted, or a server restarted without its JetStream store. The library's own
   * ordered-consumer reset does not come back from that (checked with nats 2.29: after the
   * stream was deleted and added again, nothing more was delivered).
   */
  private async consume(since?: number): Promise<void> {
    const js = this.js;
    const jsm = this.jsm;
    const handlers = this.handlers;
    if (js === undefined || jsm === undefined || handlers === undefined) {
      return;
    }
    // Which stream the consumer begins on: one made again later (by another node) is another.
    const { created } = await jsm.streams.info(NATS_ORDER_STREAM);
    const consumer = await js.consumers.get(
      NATS_ORDER_STREAM,
      since === undefined
        ? { deliver_policy: DeliverPolicy.New }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(since).toISOString() },
    );
    const messages = await consumer.consume();
    if (this.closed) {
      messages.stop(); // close() came meanwhile: nothing may outlive it
      return;
    }
    this.messages = messages;
    this.watch?.stop();
    this.watch = watchStream(
      async () => (await jsm.streams.info(NATS_ORDER_STREAM)).created === created,
      (why) => {
        this.recover(messages, why);
      },
    );
    void (async () => {
      for await (const m of messages) {
        this.receiver.receive(m.string(), handlers);
      }
    })().then(
      () => {
        this.recover(messages, 'its messages ended');
      },
      (err: unknown) => {
        this.recover(messages, errorMessage(err));
      },
    );
    void (async () => {
      for await (const st of await messages.status()) {
        if (CONSUMER_LOST.has(st.type)) {
          this.recover(messages, st.type);
          return;
        }
      }
    })().catch(() => undefined);
  }

  /**
   * Replaces the consumer whose `messages` were lost (once per loss; none after close): the stream
   * is made again if it is gone, and a new consumer reads from {@link REREAD_MS} before the loss
   * (what was published meanwhile; a batch read twice costs nothing, the agents dedupe by seq).
   * The node then resyncs its agents' queued orders from the store, for what a deleted stream
   * took with it. Retried every second, then up to every 10 s, until it works.
   */
  private recover(messages: ConsumerMessages, why: string): void {
    if (this.closed || this.messages !== messages) {
      return;
    }
    const since = Date.now() - REREAD_MS;
    this.messages = undefined;
    this.watch?.stop();
    this.watch = undefined;
    messages.stop();
    this.warn(`Order bus (NATS): consumer lost (${why}); making a new one.`);
    const attempt = (delayMs: number): void => {
      this.recovery = setTimeout(() => {
        this.recovery = undefined;
        if (this.closed) {
          return;
        }
        this.ensureStream()
          .then(() => this.consume(since))
          .then(
            () => {
              this.warn('Order bus (NATS): consumer made again; resyncing from the store.');
              this.handlers?.onResync();
            },
            (err: unknown) => {
              this.warn(`Order bus (NATS): cannot make a consumer yet: ${errorMessage(err)}`);
              attempt(Math.min(delayMs * 2, MAX_RECOVERY_MS));
            },
          );
      }, delayMs);
      this.recovery.unref();
    };
    attempt(1_000);
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

  flush(): void {
    const js = this.js;
    if (js !== undefined && !this.closed) {
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
    clearTimeout(this.recovery);
    this.watch?.stop();
    this.messages?.stop();
    // A drain refused (the client between reconnects) must still end it: with reconnects never
    // abandoned, a client left open would try again for ever and keep the process alive.
    await this.nc?.drain().catch(() => this.nc?.close());
  }
}
