/**
 * The order bus between the manager nodes of one cluster (several `riposte manager` on one
 * PostgreSQL store): the node that stored an order hands it to whichever node holds its agent's
 * link. A hint, not the source of truth: orders are durable in the store before they are
 * published, the node an agent says hello to sends everything still queued from the store, and a
 * node whose bus was down re-sends its agents' queued orders (`onResync`). So a lost message costs
 * latency, never an order; a duplicate costs nothing (the agent dedupes by seq).
 *
 * Implementations: pg-notify-bus.ts (PostgreSQL LISTEN/NOTIFY, the default with a PostgreSQL
 * store) and nats-bus.ts (NATS JetStream, `--bus nats://...`). docs/scale-out.md compares them.
 */
import type { OrderKind } from '../protocol/fleet-records.js';

/** One committed order, as the node holding the agent needs it to build the link frame. */
export interface BusOrder {
  readonly agentId: string;
  readonly seq: number;
  readonly kind: OrderKind;
  /**
   * The order's payload; absent when too large for one bus message (PostgreSQL NOTIFY carries at
   * most 8,000 bytes): the receiver reads the order from the store.
   */
  readonly payload?: string;
}

export interface BusHandlers {
  /** Orders published by another node. Must not throw. */
  onOrders(orders: readonly BusOrder[]): void;
  /** The bus was down and is back: messages may have been lost, re-send from the store. */
  onResync(): void;
}

export interface OrderBus {
  /** "postgres" or "nats" (logs, metrics, docs). */
  readonly kind: string;
  /** Connects and subscribes; resolves once this node receives what others publish. */
  start(handlers: BusHandlers): Promise<void>;
  /**
   * Hands committed orders to the other nodes. Never throws and never waits for the network:
   * orders that cannot be sent now are sent when the bus is back (bounded; past the bound they
   * are dropped and the store's resync covers them).
   */
  publish(orders: readonly BusOrder[]): void;
  close(): Promise<void>;
}

/** Wire form of one batch: the sender's node id (to skip its own messages) and the orders. */
interface WireBatch {
  readonly n: string;
  /** [agentId, seq, kind ("a" add | "r" revert), payload?] */
  readonly o: readonly (readonly [string, number, 'a' | 'r', string?])[];
}

export function encodeBatch(node: string, orders: readonly BusOrder[]): string {
  const batch: WireBatch = {
    n: node,
    o: orders.map((x) =>
      x.payload === undefined
        ? [x.agentId, x.seq, x.kind === 'add' ? 'a' : 'r']
        : [x.agentId, x.seq, x.kind === 'add' ? 'a' : 'r', x.payload],
    ),
  };
  return JSON.stringify(batch);
}

/** Decodes a batch; undefined when malformed or sent by `self`. */
export function decodeBatch(text: string, self: string): BusOrder[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) {
    return undefined;
  }
  const { n, o } = v as { n?: unknown; o?: unknown };
  if (typeof n !== 'string' || n === self || !Array.isArray(o)) {
    return undefined;
  }
  return (o as unknown[]).map(decodeItem).filter((x): x is BusOrder => x !== undefined);
}

function decodeItem(item: unknown): BusOrder | undefined {
  if (!Array.isArray(item)) {
    return undefined;
  }
  const [agentId, seq, kind, payload] = item as unknown[];
  if (typeof agentId !== 'string' || typeof seq !== 'number' || (kind !== 'a' && kind !== 'r')) {
    return undefined;
  }
  const k: OrderKind = kind === 'a' ? 'add' : 'revert';
  return typeof payload === 'string' ? { agentId, seq, kind: k, payload } : { agentId, seq, kind: k };
}

/**
 * Splits orders into encoded batches of at most `maxBytes` each; an order whose payload alone
 * does not fit is sent without it (the receiver reads the store).
 */
export function packBatches(node: string, orders: readonly BusOrder[], maxBytes: number): string[] {
  const out: string[] = [];
  let current: BusOrder[] = [];
  let size = encodeBatch(node, []).length;
  const overhead = size;
  for (const order of orders) {
    let item = order;
    let itemSize = Buffer.byteLength(encodeBatch(node, [item])) - overhead + 1;
    if (overhead + itemSize > maxBytes) {
      item = { agentId: order.agentId, seq: order.seq, kind: order.kind };
      itemSize = Buffer.byteLength(encodeBatch(node, [item])) - overhead + 1;
    }
    if (current.length > 0 && size + itemSize > maxBytes) {
      out.push(encodeBatch(node, current));
      current = [];
      size = overhead;
    }
    current.push(item);
    size += itemSize;
  }
  if (current.length > 0) {
    out.push(encodeBatch(node, current));
  }
  return out;
}

/**
 * Queues `orders` as encoded batches on `pending`, keeping at most `maxPending` batches (the oldest
 * are dropped: the store keeps every order and the sweep re-sends them). Returns how many were dropped.
 */
export function queueBatches(
  pending: string[],
  node: string,
  orders: readonly BusOrder[],
  limits: { readonly maxBytes: number; readonly maxPending: number },
): number {
  pending.push(...packBatches(node, orders, limits.maxBytes));
  const dropped = Math.max(0, pending.length - limits.maxPending);
  pending.splice(0, dropped);
  return dropped;
}
