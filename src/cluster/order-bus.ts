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
import { decodeRoutes, type RouteChange } from './bus-routes.js';

export type { RouteChange } from './bus-routes.js';

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
  /**
   * When the order expires if still queued (epoch ms); sent with a payload only. A bus message can
   * arrive late (NATS replays what a node missed while away; batches wait out an outage in the
   * sender's outbox): the receiver does not send an order past it (runtime/handed-orders.ts).
   * Absent in a message from a node of an earlier version.
   */
  readonly expiresAt?: number;
}

export interface BusHandlers {
  /**
   * Orders published by node `from`. `routed`: addressed to this node alone (the sender believes
   * this node holds their agents' links); otherwise sent to every node. Must not throw.
   */
  onOrders(orders: readonly BusOrder[], routed: boolean, from: string): void;
  /** Another node says which agents' links it now holds and which it let go (bus-routes.ts). */
  onRoutes?(node: string, change: RouteChange): void;
  /** The bus was down and is back: messages may have been lost, re-send from the store. */
  onResync(): void;
}

export interface OrderBus {
  /** "postgres" or "nats" (logs, metrics, docs). */
  readonly kind: string;
  /** This node's id on the bus: the sender of its messages, the target of orders routed to it. */
  readonly node: string;
  /** Connects and subscribes; resolves once this node receives what others publish. */
  start(handlers: BusHandlers): Promise<void>;
  /**
   * Hands committed orders to the other nodes. Never throws and never waits for the network:
   * orders that cannot be sent now are sent when the bus is back (bounded; past the bound they
   * are dropped and the store's resync covers them). `to`: the node id to route them to (the node
   * holding their agents' links); absent: every node.
   */
  publish(orders: readonly BusOrder[], to?: string): void;
  /**
   * Tells every node which agents' links this node now holds and which it let go (an empty change
   * still goes: it says the node is alive). Same bounds.
   */
  announce(change: RouteChange): void;
  close(): Promise<void>;
}

/**
 * Wire form of one batch: a one-line JSON header, a newline, then the payloads back to back as
 * they are (not escaped into the JSON):
 *
 *     {"t":"<target node id>","n":"<sender node id>","o":[[agentId, seq, "a"|"r", payloadLength?, expiresAt?], ...]}\n<payload><payload>...
 *
 * `"t"` is present, and first, when the batch is routed to one node; a receiver skips a batch
 * routed to another node, or sent by itself, by its first characters, before parsing anything
 * (on NATS every node reads every batch). `payloadLength` is in UTF-16 code units (JS string
 * length); absent: no payload. A receiver parses only the small header and slices the payloads
 * out, instead of parsing (and the sender escaping) every payload inside a JSON document.
 * `expiresAt` (epoch ms) follows a payload length only; a receiver of an earlier version ignores
 * it, and an item without it (from such a node) is taken as before: no expiry to check.
 * JSON.stringify never writes a raw newline, so the first newline ends the header. The other
 * message on the bus, a route change, is `{"n":...,"h":[...],"r":[...]}\n` (bus-routes.ts).
 */
function headerItem(x: BusOrder): string {
  const kind = x.kind === 'add' ? 'a' : 'r';
  if (x.payload === undefined) {
    return JSON.stringify([x.agentId, x.seq, kind]);
  }
  const item = [x.agentId, x.seq, kind, x.payload.length];
  return JSON.stringify(x.expiresAt === undefined ? item : [...item, x.expiresAt]);
}

function headerStart(node: string, to: string | undefined): string {
  const from = `"n":${JSON.stringify(node)},"o":[`;
  return to === undefined ? `{${from}` : `{"t":${JSON.stringify(to)},${from}`;
}

/** The first characters of every message `node` sends to every node (batches and route changes). */
function broadcastPrefix(node: string): string {
  return `{"n":${JSON.stringify(node)},`;
}

const ROUTED = '{"t":';

/**
 * The node a batch is routed to; undefined when it goes to every node. Reads only the first
 * field, which this module writes (node ids are UUIDs: nothing to unescape).
 */
export function batchTarget(text: string): string | undefined {
  if (!text.startsWith(ROUTED)) {
    return undefined;
  }
  const end = text.indexOf('"', ROUTED.length + 1);
  return end < 0 ? undefined : text.slice(ROUTED.length + 1, end);
}

const HEADER_END = ']}\n';

/** A message from the bus, decoded: orders for this node, or another node's route change. */
export type BusMessage =
  | { readonly type: 'orders'; readonly orders: BusOrder[]; readonly routed: boolean; readonly from: string }
  | { readonly type: 'routes'; readonly node: string; readonly change: RouteChange };

/** A message's header: its sender, then a batch's orders or a route change's lists. */
interface Header {
  readonly n: string;
  readonly o?: unknown;
  readonly h?: unknown;
  readonly r?: unknown;
}

/** The header's fields when it is a JSON object sent by another node than `self`. */
function header(text: string, self: string): Header | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) {
    return undefined;
  }
  const h = v as { n?: unknown };
  return typeof h.n !== 'string' || h.n === self ? undefined : (v as Header);
}

/**
 * False for a message `self` skips by its first characters: one it sent to every node (PostgreSQL
 * NOTIFY reaches the sender's session too) and a batch routed to another node. Also true of a
 * sealed message (bus-seal.ts: the seal comes last).
 */
export function addressedTo(text: string, self: string): boolean {
  return text.startsWith(ROUTED) ? batchTarget(text) === self : !text.startsWith(broadcastPrefix(self));
}

/**
 * Decodes a message; undefined when malformed, sent by `self`, or routed to another node. A
 * node's own broadcasts (PostgreSQL NOTIFY reaches the sender's session too) and batches routed
 * elsewhere are skipped by their first characters, unparsed.
 */
export function decodeMessage(text: string, self: string): BusMessage | undefined {
  if (!addressedTo(text, self)) {
    return undefined;
  }
  const routed = text.startsWith(ROUTED);
  const end = text.indexOf('\n');
  const h = end < 0 ? undefined : header(text.slice(0, end), self);
  if (h === undefined) {
    return undefined;
  }
  if (!Array.isArray(h.o)) {
    const change = routed ? undefined : decodeRoutes(h, end + 1 === text.length);
    return change === undefined ? undefined : { type: 'routes', node: h.n, change };
  }
  const orders = decodeOrders(h.o as unknown[], text, end + 1);
  return orders === undefined ? undefined : { type: 'orders', orders, routed, from: h.n };
}

function decodeOrders(items: readonly unknown[], text: string, start: number): BusOrder[] | undefined {
  const out: BusOrder[] = [];
  let at = start;
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

/** A payload length or an expiry time as a header item holds it: a safe integer from 0. */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function decodeItem(item: unknown, text: string, at: number): BusOrder | undefined {
  if (!Array.isArray(item)) {
    return undefined;
  }
  const [agentId, seq, kind, length, expiresAt] = item as unknown[];
  if (typeof agentId !== 'string' || typeof seq !== 'number' || (kind !== 'a' && kind !== 'r')) {
    return undefined;
  }
  const k: OrderKind = kind === 'a' ? 'add' : 'revert';
  if (length === undefined) {
    return { agentId, seq, kind: k };
  }
  if (!wellFormedTail(length, expiresAt, text.length - at)) {
    return undefined;
  }
  const payload = text.slice(at, at + length);
  return typeof expiresAt === 'number'
    ? { agentId, seq, kind: k, payload, expiresAt }
    : { agentId, seq, kind: k, payload };
}

/** Whether an item's payload length fits the `room` left in the message and its expiry, if any, is well-formed. */
function wellFormedTail(length: unknown, expiresAt: unknown, room: number): length is number {
  return isCount(length) && length <= room && (expiresAt === undefined || isCount(expiresAt));
}

/**
 * Splits orders into encoded batches of at most `maxBytes` (UTF-8) each, routed `to` one node or
 * (undefined) to every node; an order whose payload alone does not fit is sent without it (the
 * receiver reads the store).
 */
export function packBatches(
  node: string,
  orders: readonly BusOrder[],
  maxBytes: number,
  to?: string,
): string[] {
  const out: string[] = [];
  const start = headerStart(node, to);
  const overhead = Buffer.byteLength(start) + HEADER_END.length;
  let items: string[] = [];
  let payloads: string[] = [];
  let size = overhead;
  const emit = (): void => {
    out.push(start + items.join(',') + HEADER_END + payloads.join(''));
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
 * Queues encoded messages (packBatches, packRoutes) on `pending`, keeping at most `maxPending` of
 * them and `maxPendingChars` characters (the oldest are dropped: the store keeps every order and
 * the sweep re-sends them; a lost route change costs a broadcast or a re-send). Returns how many
 * were dropped.
 */
export function queueBatches(
  pending: string[],
  messages: readonly string[],
  limits: { readonly maxBytes: number; readonly maxPending: number; readonly maxPendingChars?: number },
): number {
  pending.push(...messages);
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
