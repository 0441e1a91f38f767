/**
 * Packing link items into batch frames (`orders`, `acks`, `executions`; protocol in link.ts): runs
 * of consecutive items, in order, each run at most LINK_MAX_BATCH_ITEMS items and, by an upper
 * bound of its encoded size, within LINK_BATCH_BYTES (under the 1 MiB frame cap both sides
 * enforce). An item alone over the budget goes in a frame of its own, as it would without batches.
 * A run of one item becomes the single frame an older peer would get. Pure: no I/O.
 */
import {
  LINK_MAX_BATCH_ITEMS,
  LINK_MAX_FRAME_BYTES,
  type AgentFrame,
  type ExecutionItem,
  type ManagerFrame,
  type OrderFrame,
} from './link.js';

/** Budget of one batch frame's items, in bytes: the frame cap less room for the envelope. */
export const LINK_BATCH_BYTES = LINK_MAX_FRAME_BYTES - 64 * 1024;
/** Bytes counted per item for its field names, numbers and punctuation. */
const ITEM_OVERHEAD = 2048;

/**
 * An upper bound of the UTF-8 bytes `text` takes as a JSON string: at worst each UTF-16 unit is
 * escaped as `\uXXXX` (6 bytes), plus the quotes.
 */
export function jsonStringBound(text: string): number {
  return 6 * text.length + 2;
}

/** Bound of an object's string fields (one level: link items are flat records). */
function stringsBound(v: object | null): number {
  let n = 0;
  if (v !== null) {
    for (const x of Object.values(v)) {
      if (typeof x === 'string') {
        n += jsonStringBound(x);
      }
    }
  }
  return n;
}

/** Splits `items` into consecutive runs within the item count and the byte budget. */
export function packRuns<T>(
  items: readonly T[],
  bound: (item: T) => number,
  budget = LINK_BATCH_BYTES,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const b = bound(item) + ITEM_OVERHEAD;
    if (run.length > 0 && (run.length >= LINK_MAX_BATCH_ITEMS || bytes + b > budget)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += b;
  }
  if (run.length > 0) {
    runs.push(run);
  }
  return runs;
}

/** Orders as `orders` frames (a lone one as an `order` frame), in order. */
export function orderFrames(orders: readonly OrderFrame[]): ManagerFrame[] {
  return packRuns(orders, (o) => jsonStringBound(o.kind === 'add' ? o.message : o.key)).map((run) =>
    run.length === 1 && run[0] !== undefined ? run[0] : { type: 'orders', orders: run },
  );
}

/** Acks of `seqs` as `acks` frames (a lone one as an `ack` frame), in order. */
export function ackFrames(seqs: readonly number[]): AgentFrame[] {
  return packRuns(seqs, () => 0, LINK_MAX_BATCH_ITEMS * ITEM_OVERHEAD).map((run) =>
    run.length === 1 && run[0] !== undefined ? { type: 'ack', seq: run[0] } : { type: 'acks', seqs: run },
  );
}

/** Execution reports as `executions` frames (a lone one as an `execution` frame), in order. */
export function executionFrames(items: readonly ExecutionItem[]): AgentFrame[] {
  return packRuns(items, (i) => stringsBound(i.record) + stringsBound(i.active)).map((run) =>
    run.length === 1 && run[0] !== undefined
      ? { type: 'execution', ...run[0] }
      : { type: 'executions', items: run },
  );
}
