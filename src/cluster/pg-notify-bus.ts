/**
 * The order bus over PostgreSQL LISTEN/NOTIFY (order-bus.ts): one connection per node that
 * LISTENs on `riposte_orders` (messages for every node) and on its own channel
 * `riposte_orders_<node id without its dashes>` (batches routed to it, bus-routes.ts), and sends
 * with pg_notify (several messages in one round trip). NOTIFY is transactional and delivered to every listening session in commit order, but not
 * stored: while this node's connection is down it misses messages, so after reconnecting it asks
 * for a resync (its agents' queued orders are re-sent from the store). Batches published while
 * down wait (bounded) and go out once reconnected.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { keepaliveOptions } from '../store/pg-session-options.js';
import { connectOrClose } from '../store/pg-connect.js';
import type { BusHandlers, BusOrder, OrderBus, RouteChange } from './order-bus.js';
import { batchTarget } from './order-bus.js';
import { BusOutbox, type OutboxBus } from './bus-outbox.js';
import { errorMessage } from '../protocol/error-message.js';
import { BusReceiver } from './bus-receive.js';
import type { BusSeal } from './bus-seal.js';
import { pgConfig } from '../store/pg-connect.js';

export const PG_ORDER_CHANNEL = 'riposte_orders';

/** The channel of the batches routed to `node` (a UUID: 32 hex digits once its dashes are gone). */
export function pgNodeChannel(node: string): string {
  return `${PG_ORDER_CHANNEL}_${node.replaceAll('-', '')}`;
}
/** PostgreSQL's NOTIFY payload limit is 8,000 bytes; keep a margin. */
const MAX_PAYLOAD_BYTES = 7_900;
/** Batches kept while disconnected. */
const MAX_PENDING = 10_000;

export interface PgNotifyBusOptions {
  readonly connectionString: string;
  /** Seals what this node sends and checks what it receives (bus-seal.ts). */
  readonly seal: BusSeal;
  /** Called with a one-line description of connection trouble. */
  readonly onWarn?: (text: string) => void;
  /** Reconnection delay bounds, ms. @default 250 / 5000 */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
  /**
   * A LISTEN connection that sends nothing would never notice that it died silently (a NAT or
   * firewall dropped it, the server's host vanished): every `heartbeatMs` an idle connection runs
   * `SELECT 1`, and one that gets no answer within `queryTimeoutMs` is replaced. @default 15000 / 10000
   */
  readonly heartbeatMs?: number;
  readonly queryTimeoutMs?: number;
}

/**
 * `SELECT pg_notify($1, $2), pg_notify($3, $4), ...`: each message its own text parameter after
 * its channel's, sent as is (a text[] parameter is escaped element by element in JS by pg, which
 * cost more than encoding).
 */
function notifyStatement(messages: number): string {
  return `SELECT ${Array.from({ length: messages }, (_, i) => `pg_notify($${2 * i + 1}, $${2 * i + 2})`).join(', ')}`;
}

/** Each message's channel, then the message: the parameters of notifyStatement. */
function notifyParams(messages: readonly string[]): string[] {
  return messages.flatMap((m) => {
    const to = batchTarget(m);
    return [to === undefined ? PG_ORDER_CHANNEL : pgNodeChannel(to), m];
  });
}

export function createPgNotifyBus(opts: PgNotifyBusOptions): OrderBus {
  return new PgNotifyBus(opts);
}

class PgNotifyBus implements OrderBus, OutboxBus {
  readonly kind = 'postgres';
  readonly node = randomUUID();
  private client: pg.Client | undefined;
  private up = false;
  private closed = false;
  private handlers: BusHandlers | undefined;
  private readonly outbox: BusOutbox;
  private readonly receiver: BusReceiver;
  private sending = false;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly opts: PgNotifyBusOptions) {
    const limits = { maxBytes: MAX_PAYLOAD_BYTES, maxPending: MAX_PENDING };
    this.outbox = new BusOutbox(this.node, limits, this, opts.seal);
    this.receiver = new BusReceiver(this.node, opts.seal, (t) => {
      this.warn(t);
    });
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    await this.connect();
    this.heartbeat = setInterval(() => {
      this.beat();
    }, this.opts.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Checks an idle connection (a pending send checks it already). */
  private beat(): void {
    const client = this.client;
    if (!this.up || client === undefined || this.sending) {
      return;
    }
    client.query('SELECT 1').catch((err: unknown) => {
      this.lost(client, errorMessage(err));
    });
  }

  private warn(text: string): void {
    this.opts.onWarn?.(text);
  }

  private async connect(): Promise<void> {
    // Timeouts so a connection that died silently is noticed (and replaced) rather than waited on.
    const client = new pg.Client(
      pgConfig(this.opts.connectionString, {
        application_name: 'riposte order bus',
        options: keepaliveOptions(),
        connectionTimeoutMillis: 5_000,
        query_timeout: this.opts.queryTimeoutMs ?? 10_000,
        keepAlive: true,
      }),
    );
    client.on('error', (err) => {
      this.lost(client, err.message);
    });
    client.on('end', () => {
      this.lost(client, 'connection ended');
    });
    const own = pgNodeChannel(this.node);
    client.on('notification', (msg) => {
      const handlers = this.handlers;
      if (
        (msg.channel === PG_ORDER_CHANNEL || msg.channel === own) &&
        msg.payload !== undefined &&
        handlers
      ) {
        this.receiver.receive(msg.payload, handlers);
      }
    });
    // Current only once connected: close() meanwhile leaves it to finish (pg's connect() would
    // never settle if ended half-way), and then it is ended here; one that failed is ended too.
    await connectOrClose(client);
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    await client.query(`LISTEN ${PG_ORDER_CHANNEL}; LISTEN ${own}`);
    const wasDown = this.failures > 0;
    this.up = true;
    this.failures = 0;
    if (wasDown) {
      this.handlers?.onResync();
    }
    this.flush();
  }

  private lost(client: pg.Client, why: string): void {
    if (this.client !== client || this.closed) {
      return;
    }
    this.client = undefined;
    this.up = false;
    this.failures++;
    this.warn(`Order bus (PostgreSQL): ${why}; reconnecting.`);
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry !== undefined) {
      return;
    }
    const min = this.opts.minRetryMs ?? 250;
    const max = this.opts.maxRetryMs ?? 5_000;
    const delay = Math.min(max, min * 2 ** Math.min(this.failures - 1, 10));
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().catch((err: unknown) => {
        const client = this.client;
        if (client !== undefined) {
          this.lost(client, errorMessage(err));
        } else {
          this.failures++;
          this.scheduleReconnect();
        }
      });
    }, delay);
    this.retry.unref();
  }

  isClosed(): boolean {
    return this.closed;
  }

  dropped(count: number): void {
    this.warn(`Order bus (PostgreSQL): ${count} batch(es) dropped while down (the store keeps the orders).`);
  }

  publish(orders: readonly BusOrder[], to?: string): void {
    this.outbox.publish(orders, to);
  }

  announce(change: RouteChange): void {
    this.outbox.announce(change);
  }

  /** Sends every pending batch, one round trip per up to 64 batches, one round trip at a time. */
  flush(): void {
    const client = this.client;
    if (this.sending || !this.up || client === undefined || this.outbox.pending.length === 0) {
      return;
    }
    this.sending = true;
    const chunk = this.outbox.pending.splice(0, 64);
    client.query(notifyStatement(chunk.length), notifyParams(chunk)).then(
      () => {
        this.sending = false;
        this.flush();
      },
      (err: unknown) => {
        this.sending = false;
        this.outbox.pending.unshift(...chunk);
        if (this.client === client) {
          this.lost(client, errorMessage(err));
        } else {
          this.flush(); // sent on a connection already replaced: resend on the new one
        }
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    this.up = false;
    await client?.end().catch(() => undefined);
  }
}
