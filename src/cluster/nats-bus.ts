/**
 * The order bus over NATS JetStream (`--bus nats://HOST:PORT`, order-bus.ts): batches are
 * published to the subject `riposte.orders` of the stream RIPOSTE_ORDERS (file storage, messages
 * kept 5 minutes: they are hand-offs, the store keeps the orders) and acknowledged by the server
 * (PubAck) before they count as sent; every node reads the stream through its own ordered consumer
 * from "new", which resumes at its last position after a reconnect, so a short outage of the
 * node's connection loses no message. Batches that cannot be published are retried (bounded).
 */
import { randomUUID } from 'node:crypto';
import {
  DeliverPolicy,
  Events,
  RetentionPolicy,
  StorageType,
  connect,
  nanos,
  type ConsumerMessages,
  type JetStreamClient,
  type NatsConnection,
} from 'nats';
import type { BusHandlers, BusOrder, OrderBus } from './order-bus.js';
import { decodeBatch, queueBatches } from './order-bus.js';

export const NATS_ORDER_STREAM = 'RIPOSTE_ORDERS';
export const NATS_ORDER_SUBJECT = 'riposte.orders';
/** Below NATS's default max_payload (1 MiB). */
const MAX_PAYLOAD_BYTES = 512 * 1024;
const MAX_PENDING = 10_000;
/** Publishes in flight at once (each waits for its PubAck). */
const IN_FLIGHT = 64;

export interface NatsBusOptions {
  /** nats://HOST:PORT (several separated by commas). */
  readonly servers: string;
  readonly onWarn?: (text: string) => void;
}

export function createNatsBus(opts: NatsBusOptions): OrderBus {
  return new NatsBus(opts);
}

class NatsBus implements OrderBus {
  readonly kind = 'nats';
  private readonly node = randomUUID();
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private messages: ConsumerMessages | undefined;
  private pending: string[] = [];
  private inFlight = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly opts: NatsBusOptions) {}

  private warn(text: string): void {
    this.opts.onWarn?.(text);
  }

  async start(handlers: BusHandlers): Promise<void> {
    const nc = await connect({
      servers: this.opts.servers.split(',').map((s) => s.trim()),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      name: `riposte-manager-${this.node}`,
    });
    this.nc = nc;
    const jsm = await nc.jetstreamManager();
    const config = {
      name: NATS_ORDER_STREAM,
      subjects: [NATS_ORDER_SUBJECT],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(5 * 60_000),
    };
    try {
      await jsm.streams.info(NATS_ORDER_STREAM);
    } catch {
      await jsm.streams.add(config);
    }
    this.js = nc.jetstream();
    const consumer = await this.js.consumers.get(NATS_ORDER_STREAM, { deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume();
    this.messages = messages;
    void (async () => {
      for await (const m of messages) {
        const orders = decodeBatch(m.string(), this.node);
        if (orders !== undefined && orders.length > 0) {
          handlers.onOrders(orders);
        }
      }
    })().catch((err: unknown) => {
      this.warn(`Order bus (NATS): consumer stopped: ${err instanceof Error ? err.message : String(err)}`);
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

  publish(orders: readonly BusOrder[]): void {
    if (orders.length === 0 || this.closed) {
      return;
    }
    const dropped = queueBatches(this.pending, this.node, orders, {
      maxBytes: MAX_PAYLOAD_BYTES,
      maxPending: MAX_PENDING,
    });
    if (dropped > 0) {
      this.warn(`Order bus (NATS): ${dropped} batch(es) dropped (the store keeps the orders).`);
    }
    this.flush();
  }

  private flush(): void {
    const js = this.js;
    while (js !== undefined && !this.closed && this.inFlight < IN_FLIGHT && this.pending.length > 0) {
      const batch = this.pending.shift();
      if (batch === undefined) {
        return;
      }
      this.inFlight++;
      js.publish(NATS_ORDER_SUBJECT, batch).then(
        () => {
          this.inFlight--;
          this.flush();
        },
        (err: unknown) => {
          this.inFlight--;
          this.pending.unshift(batch);
          this.warn(`Order bus (NATS): publish failed: ${err instanceof Error ? err.message : String(err)}`);
          this.retryLater();
        },
      );
    }
  }

  private retryLater(): void {
    if (this.retry !== undefined || this.closed) {
      return;
    }
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.flush();
    }, 500);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.messages?.stop();
    await this.nc?.drain().catch(() => undefined);
  }
}
