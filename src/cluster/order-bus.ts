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

/**
 * Wire form of one batch: a one-line JSON header, a newline, then the payloads back to back as
 * they are (not escaped into the JSON):
 *
 *     {"n":"<sender node id>","o":[[agentId, seq, "a"|"r", payloadLength?], ...]}\n<payload><payload>...
 *
 * `payloadLength` is in UTF-16 code units (JS string length); absent: no payload. A receiver
 * parses only the small header and slices the payloads out, instead of parsing (and the sender
 * escaping) every payload inside a JSON document: each node decodes every other node's batches.
 * JSON.stringify never writes a raw newline, so the first newline ends the header.
 */
function headerItem(x: BusOrder): string {
  const kind = x.kind === 'add' ? 'a' : 'r';
  return JSON.stringify(
    x.payload === undefined ? [x.agentId, x.seq, kind] : [x.agentId, x.seq, kind, x.payload.length],
  );
}

function headerStart(node: string): string {
  return `{"n":${JSON.stringify(node)},"o":[`;
}

const HEADER_END = ']}\n';

export function encodeBatch(node: string, orders: readonly BusOrder[]): string {
  const payloads = orders.flatMap((x) => (x.payload === undefined ? [] : [x.payload]));
  return headerStart(node) + orders.map(headerItem).join(',') + HEADER_END + payloads.join('');
}

/** The header's items when it is well formed and not sent by `self`. */
function headerItems(header: string, self: string): unknown[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(header);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) {
    return undefined;
  }
  const { n, o } = v as { n?: unknown; o?: unknown };
  return typeof n !== 'string' || n === self || !Array.isArray(o) ? undefined : (o as unknown[]);
}

/** Decodes a batch; undefined when malformed or sent by `self`. */
export function decodeBatch(text: string, self: string): BusOrder[] | undefined {
  if (text.startsWith(headerStart(self))) {
    // This node's own batch (PostgreSQL NOTIFY reaches the sender's session too): not parsed.
    return undefined;
  }
  const end = text.indexOf('\n');
  const items = end < 0 ? undefined : headerItems(text.slice(0, end), self);
  if (items === undefined) {
    return undefined;
  }
  const out: BusOrder[] = [];
  let at = end + 1;
  for (const item of items) {
    const order = decodeItem(item, text, at);
    if (order === undefined) {
      return undefined;
    }
    at += order.payload?.length ?? 0;
    out.push(order);
  }
  return at === text.length ? out : undefined;
}

function decodeItem(item: unknown, text: string, at: number): BusOrder | undefined {
  if (!Array.isArray(item)) {
    return undefined;
  }
  const [agentId, seq, kind, length] = item as unknown[];
  if (typeof agentId !== 'string' || typeof seq !== 'number' || (kind !== 'a' && kind !== 'r')) {
    return undefined;
  }
  const k: OrderKind = kind === 'a' ? 'add' : 'revert';
  if (length === undefined) {
    return { agentId, seq, kind: k };
  }
  if (
    typeof length !== 'number' ||
    !Number.isSafeInteger(length) ||
    length < 0 ||
    at + length > text.length
  ) {
    return undefined;
  }
  return { agentId, seq, kind: k, payload: text.slice(at, at + length) };
}

/**
 * Splits orders into encoded batches of at most `maxBytes` (UTF-8) each; an order whose payload
 * alone does not fit is sent without it (the receiver reads the store).
 */
export function packBatches(node: string, orders: readonly BusOrder[], maxBytes: number): string[] {
  const out: string[] = [];
  const overhead = Buffer.byteLength(headerStart(node)) + HEADER_END.length;
  let items: string[] = [];
  let payloads: string[] = [];
  let size = overhead;
  const emit = (): void => {
    out.push(headerStart(node) + items.join(',') + HEADER_END + payloads.join(''));
    items = [];
    payloads = [];
    size = overhead;
  };
  for (const order of orders) {
    let item = headerItem(order);
    let payload = order.payload;
    // + 1: the comma before the item (one too many for the first: a margin).
    let itemSize = Buffer.byteLength(item) + 1 + (payload === undefined ? 0 : Buffer.byteLength(payload));
    if (overhead + itemSize > maxBytes) {
      payload = undefined;
      item = headerItem({ agentId: order.agentId, seq: order.seq, kind: order.kind });
      itemSize = Buffer.byteLength(item) + 1;
    }
    if (items.length > 0 && size + itemSize > maxBytes) {
      emit();
    }
    items.push(item);
    if (payload !== undefined) {
      payloads.push(payload);
    }
    size += itemSize;
  }
  if (items.length > 0) {
    emit();
  }
  return out;
}

/**
 * Characters of batches kept waiting at most (~128 MiB of heap), whatever their count: NATS
 * batches are up to 512 KB, and 10,000 of them while the bus is down would exhaust the heap.
 */
export const MAX_PENDING_CHARS = 64 * 1024 * 1024;

/**
 * Queues `orders` as encoded batches on `pending`, keeping at most `maxPending` batches and
 * `maxPendingChars` characters (the oldest are dropped: the store keeps every order and the sweep
 * re-sends them). Returns how many were dropped.
 */
export function queueBatches(
  pending: string[],
  node: string,
  orders: readonly BusOrder[],
  limits: { readonly maxBytes: number; readonly maxPending: number; readonly maxPendingChars?: number },
): number {
  pending.push(...packBatches(node, orders, limits.maxBytes));
  let dropped = Math.max(0, pending.length - limits.maxPending);
  pending.splice(0, dropped);
  const maxChars = limits.maxPendingChars ?? MAX_PENDING_CHARS;
  if (pending.length * limits.maxBytes <= maxChars) {
    return dropped; // cannot be over (a batch's characters <= its bytes): no sum to take
  }
  let chars = pending.reduce((n, b) => n + b.length, 0);
  while (chars > maxChars && pending.length > 0) {
    chars -= pending.shift()?.length ?? 0;
    dropped++;
  }
  return dropped;
}
