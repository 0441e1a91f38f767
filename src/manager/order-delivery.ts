/**
 * Durable orders in motion: queue (store first, then send if the agent is ready), resend every
 * queued order in seq order when an agent says hello, apply transitions from the pure state
 * machine, and expire queued orders past their time-to-live (recorded as `expired`, never dropped).
 */
import { nextOrderState, orderExpiresAt, type OrderEvent } from '../core/orders/order-state.js';
import type { OrderFrame } from '../protocol/link.js';
import type { ManagerContext } from './manager-context.js';
import type { OrderKind, OrderSource } from '../protocol/fleet-records.js';
import type { ManagerStore, NewOrder, OrderUpdate, StoredOrder } from '../core/orders/manager-store.js';

export interface OrderRequest {
  readonly agentId: string;
  readonly kind: OrderKind;
  readonly source: OrderSource;
  readonly arName?: string;
  readonly key?: string;
  readonly alertId?: string;
  readonly payload: string;
  /** When the cause arrived (alert ingestion or API call), for the latency metric. @default now */
  readonly createdAt?: number;
}

export function frameOf(o: Pick<StoredOrder, 'kind' | 'seq' | 'payload'>): OrderFrame {
  return o.kind === 'add'
    ? { type: 'order', seq: o.seq, kind: 'add', message: o.payload }
    : { type: 'order', seq: o.seq, kind: 'revert', key: o.payload };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function newOrder(ctx: ManagerContext, req: OrderRequest): NewOrder {
  const createdAt = req.createdAt ?? ctx.now();
  return {
    agentId: req.agentId,
    kind: req.kind,
    source: req.source,
    arName: req.arName,
    key: req.key,
    alertId: req.alertId,
    payload: req.payload,
    createdAt,
    expiresAt: orderExpiresAt(createdAt, ctx.ttlMs),
  };
}

/**
 * Stores new orders in one transaction, then sends each at once when its agent is ready. Sending
 * only after the commit matters: an agent must never apply a seq the manager could lose and reuse.
 * `alsoInTransaction` runs inside the same transaction (e.g. the alerts.json position).
 */
export async function queueOrders(
  ctx: ManagerContext,
  reqs: readonly OrderRequest[],
  alsoInTransaction?: (tx: ManagerStore) => Promise<void>,
): Promise<StoredOrder[]> {
  // Stored in agent-id order (stable: each agent's seqs follow its requests): every transaction
  // takes the agents' seq-counter row locks in the same order, so concurrent ingests on several
  // nodes of a cluster (PostgreSQL) cannot deadlock each other. Returned in the requests' order.
  const byAgent = reqs.map((r, i) => ({ r, i })).sort((a, b) => cmp(a.r.agentId, b.r.agentId) || a.i - b.i);
  const enqueue = async (on: ManagerStore): Promise<StoredOrder[]> => {
    const sorted = await on.enqueueOrders(byAgent.map(({ r }) => newOrder(ctx, r)));
    const stored: StoredOrder[] = [];
    byAgent.forEach(({ i }, j) => {
      stored[i] = sorted[j] as StoredOrder;
    });
    return stored;
  };
  // enqueueOrders alone is atomic (one statement on PostgreSQL, so no BEGIN/COMMIT round trips
  // while the agents' seq counters are locked); a transaction only when something joins it.
  const orders =
    alsoInTransaction === undefined
      ? await enqueue(ctx.store)
      : await ctx.store.batch(async (tx) => {
          const stored = await enqueue(tx);
          await alsoInTransaction(tx);
          return stored;
        });
  ctx.firstHellos?.stored(orders); // committed, none sent yet
  const elsewhere: StoredOrder[] = [];
  for (const order of orders) {
    ctx.emit({ type: 'order-state', agentId: order.agentId, seq: order.seq, state: 'queued' });
    if (!ctx.sessions.send(order.agentId, frameOf(order))) {
      elsewhere.push(order);
    }
  }
  if (elsewhere.length > 0) {
    ctx.cluster?.handOff(elsewhere); // a cluster: the node holding the agent's link sends it
  }
  return orders;
}

/**
 * Marks those of the given queued orders (one agent's, or several agents' hellos) past their expiry
 * as expired (one bulk write) and returns the others: what `expireDue` would do for these agents,
 * without reading every agent's orders (a hello costs its agent's rows only; the cluster-wide timer
 * expires the rest). Only orders still queued in the store are moved (expireOrders): an ack
 * applied since `queued` was read, on any node (the agent's previous one working through its
 * backlog), wins, and such an order is neither reported expired nor returned.
 */
export async function expireQueued(
  ctx: Pick<ManagerContext, 'store' | 'now' | 'emit' | 'log'>,
  queued: readonly StoredOrder[],
): Promise<StoredOrder[]> {
  const now = ctx.now();
  const live: StoredOrder[] = [];
  const due: StoredOrder[] = [];
  for (const order of queued) {
    (nextOrderState(order, { type: 'expire-check', now }) === 'expired' ? due : live).push(order);
  }
  if (due.length > 0) {
    await expireMoving(ctx, due, now);
  }
  return live;
}

/**
 * Moves `due` (queued orders past their expiry) to expired at `now` in one write that moves only
 * the orders still queued then (one acked meanwhile, on this node or another, stays delivered),
 * and tells and logs each one moved; returns how many.
 */
async function expireMoving(
  ctx: Pick<ManagerContext, 'store' | 'emit' | 'log'>,
  due: readonly StoredOrder[],
  now: number,
): Promise<number> {
  const moved = new Set(
    (await ctx.store.expireOrders(due, now)).map(({ agentId, seq }) => `${agentId}#${seq}`),
  );
  for (const order of due) {
    if (moved.has(`${order.agentId}#${order.seq}`)) {
      ctx.emit({ type: 'order-state', agentId: order.agentId, seq: order.seq, state: 'expired' });
      ctx.log.warn(
        `Order ${order.agentId}#${order.seq} expired undelivered (${order.arName ?? order.key ?? ''}).`,
      );
    }
  }
  return moved.size;
}

/**
 * Applies `event` to order (agentId, seq) and writes `fields` with the new state. Returns the
 * updated order, or undefined when the order is unknown or the event changed nothing.
 */
export async function transition(
  ctx: ManagerContext,
  order: StoredOrder,
  event: OrderEvent,
  fields: Omit<OrderUpdate, 'state'> = {},
): Promise<StoredOrder | undefined> {
  const state = nextOrderState(order, event);
  if (state === order.state) {
    return undefined;
  }
  await ctx.store.updateOrder(order.agentId, order.seq, { ...fields, state });
  ctx.emit({ type: 'order-state', agentId: order.agentId, seq: order.seq, state });
  return { ...order, ...fields, state };
}

/**
 * Marks every queued order past its expiry as expired, in one write that moves only the orders
 * still queued then (one acked meanwhile, on this node or another, stays delivered); returns how
 * many it moved.
 */
export async function expireDue(ctx: ManagerContext): Promise<number> {
  const now = ctx.now();
  const due = (await ctx.store.expirableOrders(now)).filter(
    (o) => nextOrderState(o, { type: 'expire-check', now }) === 'expired',
  );
  return expireMoving(ctx, due, now);
}
