/**
 * Packing link items into batch frames (`orders`, `acks`, `executions`; protocol in link.ts), in
 * two steps:
 *
 * - the sender's session makes runs of consecutive items, in order, at most LINK_MAX_BATCH_ITEMS
 *   each (orderFrames, ackFrames, executionFrames); a run of one item becomes the single frame an
 *   older peer would get;
 * - a transport with a frame cap (the WebSocket link: LINK_MAX_FRAME_BYTES, which both sides
 *   enforce) sends a frame as `frameTexts`: each item serialised once, its UTF-8 size counted
 *   exactly, and a batch split into consecutive frames within the cap. An item alone over the cap
 *   goes in a frame of its own, as it would without batches. The MessagePort link has no cap and
 *   takes the runs as they are.
 *
 * Pure: no I/O.
 */
import {
  LINK_MAX_BATCH_ITEMS,
  LINK_MAX_FRAME_BYTES,
  encodeFrame,
  type AgentFrame,
  type ExecutionItem,
  type ManagerFrame,
  type OrderFrame,
} from './link.js';

/** Splits `items` into consecutive runs of at most LINK_MAX_BATCH_ITEMS. */
function runsOf<T>(items: readonly T[]): T[][] {
  const runs: T[][] = [];
  for (let i = 0; i < items.length; i += LINK_MAX_BATCH_ITEMS) {
    runs.push(items.slice(i, i + LINK_MAX_BATCH_ITEMS));
  }
  return runs;
}

/** Orders as `orders` frames (a lone one as an `order` frame), in order. */
export function orderFrames(orders: readonly OrderFrame[]): ManagerFrame[] {
  return runsOf(orders).map((run) =>
    run.length === 1 && run[0] !== undefined ? run[0] : { type: 'orders', orders: run },
  );
}

/** Acks of `seqs` as `acks` frames (a lone one as an `ack` frame), in order. */
export function ackFrames(seqs: readonly number[]): AgentFrame[] {
  return runsOf(seqs).map((run) =>
    run.length === 1 && run[0] !== undefined ? { type: 'ack', seq: run[0] } : { type: 'acks', seqs: run },
  );
}

/** Execution reports as `executions` frames (a lone one as an `execution` frame), in order. */
export function executionFrames(items: readonly ExecutionItem[]): AgentFrame[] {
  return runsOf(items).map((run) =>
    run.length === 1 && run[0] !== undefined
      ? { type: 'execution', ...run[0] }
      : { type: 'executions', items: run },
  );
}

/** A batch frame's parts: the text before its items, its items, and the single frame of one item. */
interface BatchParts {
  readonly head: string;
  readonly items: readonly unknown[];
  /** The single frame's text for one item's text (what an older peer gets for a lone item). */
  readonly single: (itemText: string) => string;
}

const TAIL = ']}';

function batchParts(frame: AgentFrame | ManagerFrame): BatchParts | undefined {
  switch (frame.type) {
    case 'orders':
      // An order item is an `order` frame already.
      return { head: '{"type":"orders","orders":[', items: frame.orders, single: (t) => t };
    case 'executions':
      // An item is an `execution` frame without its type: the type goes first, as encodeFrame puts it.
      return {
        head: '{"type":"executions","items":[',
        items: frame.items,
        single: (t) => `{"type":"execution",${t.slice(1)}`,
      };
    case 'acks':
      return {
        head: '{"type":"acks","seqs":[',
        items: frame.seqs,
        single: (t) => `{"type":"ack","seq":${t}}`,
      };
    case 'hello':
    case 'ack':
    case 'rejected':
    case 'execution':
    case 'active-list':
    case 'welcome':
    case 'order':
      return undefined;
  }
}

/**
 * `frame` as the texts to send on a transport capped at `cap` bytes per frame, in order: a batch
 * frame is split into consecutive frames within the cap (sizes counted exactly, each item
 * serialised once), a run of one item becoming its single frame; any other frame is its one text.
 */
export function frameTexts(frame: AgentFrame | ManagerFrame, cap = LINK_MAX_FRAME_BYTES): string[] {
  const parts = batchParts(frame);
  if (parts === undefined) {
    return [encodeFrame(frame)];
  }
  const { head, items, single } = parts;
  const fixed = head.length + TAIL.length; // ASCII
  const texts: string[] = [];
  let run: string[] = [];
  let bytes = fixed;
  const close = (): void => {
    if (run.length === 1 && run[0] !== undefined) {
      texts.push(single(run[0]));
    } else if (run.length > 1) {
      texts.push(`${head}${run.join(',')}${TAIL}`);
    }
    run = [];
    bytes = fixed;
  };
  for (const item of items) {
    const text = JSON.stringify(item);
    // Plus one comma before every item but the first.
    const b = Buffer.byteLength(text) + (run.length > 0 ? 1 : 0);
    if (run.length > 0 && (run.length >= LINK_MAX_BATCH_ITEMS || bytes + b > cap)) {
      close();
      run.push(text);
      bytes += b - 1;
    } else {
      run.push(text);
      bytes += b;
    }
  }
  close();
  return texts;
}
