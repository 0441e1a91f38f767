/**
 * The batch form of a stock script: what lets the agent apply a burst of executions of one script
 * with one OS operation (one nft transaction, one `ip -batch`, one rewrite of a file) instead of
 * one per execution. The skeleton that drives it, with Wazuh's per-execution log lines, is
 * run-stock-batch.ts.
 *
 * Contract for every batch form:
 * - items are applied in order: an add then a delete of the same key end deleted;
 * - one result per item, in order: undefined = done, or the complete active-responses.log failure
 *   message of that item (it exits 255). One item's failure never fails the others;
 * - it never rejects (a programming error rejects and fails every item of the batch);
 * - `signal` aborts when the agent stops waiting (execution time limit): stop starting new work.
 */
import type { StockContext, StockScript } from './stock-script.js';
import { errorMessage } from '../../protocol/error-message.js';

/**
 * What a batch form gets of each execution: its validated key, extra args, log and host, not the
 * message (a re-apply after a reboot hands the stored responses over by key, without reading
 * their messages back).
 */
export type BatchTarget = Pick<StockContext, 'key' | 'extraArgs' | 'log' | 'host'>;

export interface StockBatchItem<C extends BatchTarget = BatchTarget> {
  readonly mode: 'add' | 'delete';
  readonly ctx: C;
}

/** undefined = done; a string = that item failed, with this log message. */
export type StockBatchResult = string | undefined;

export type StockBatch = (
  items: readonly StockBatchItem[],
  signal: AbortSignal,
) => Promise<StockBatchResult[]>;

/**
 * What the re-apply form gets (StockScript.reapplyJoined): the adds of many stored responses with no
 * extra args, their keys as ONE text, so that 100,000 re-applies after a reboot build no object per
 * key. The form validates every key as its input check would before acting.
 */
export interface JoinedKeys {
  /** The script keys (what `input` returned when each was added) joined by `,`. */
  readonly keys: string;
  readonly count: number;
  readonly home: string;
  readonly signal: AbortSignal;
  /** Called once, when the OS operation is under way (the main thread then only waits for it). */
  readonly started: () => void;
}

/** A key of a re-apply form that failed, with its active-responses.log message. */
export interface KeyFailure {
  readonly key: string;
  readonly message: string;
}

/** Runs one item through the script's single-execution add/delete; its failure message, if any. */
export async function actOne(
  script: StockScript,
  item: StockBatchItem<StockContext>,
): Promise<StockBatchResult> {
  try {
    await (item.mode === 'add' ? script.add(item.ctx) : script.delete(item.ctx));
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * The batch form of a script without its own: items of different keys run concurrently (in-process
 * runs of one turn still coalesce, e.g. in the nft batcher); items of the same key run one after
 * the other, in order.
 */
export function concurrentBatch(
  script: StockScript,
): (items: readonly StockBatchItem<StockContext>[]) => Promise<StockBatchResult[]> {
  return (items) => {
    const tails = new Map<string | undefined, Promise<unknown>>();
    return Promise.all(
      items.map((item) => {
        const previous = tails.get(item.ctx.key) ?? Promise.resolve();
        const mine = previous.then(() => actOne(script, item));
        tails.set(item.ctx.key, mine);
        return mine;
      }),
    );
  };
}

/**
 * Applies `items` with `apply` (one tool run for all of them); when that fails, splits them in two
 * halves and retries each (splitting again while a part fails), so a failing item fails alone and
 * n items with one bad one cost about 2·log2(n) extra runs. Items are applied in order. `apply`
 * must be atomic or idempotent (a half re-applied after a partial failure must be harmless).
 * One result per item: undefined = done, or the failure message of the run that failed it alone.
 */
export function isolateByHalving<T>(
  items: readonly T[],
  apply: (part: readonly T[]) => Promise<void>,
): Promise<StockBatchResult[]> {
  return isolateRangesByHalving(items.length, (from, to) =>
    apply(from === 0 && to === items.length ? items : items.slice(from, to)),
  );
}

/** {@link isolateByHalving} over the index ranges of `count` items (no item array needed). */
export async function isolateRangesByHalving(
  count: number,
  apply: (from: number, to: number) => Promise<void>,
): Promise<StockBatchResult[]> {
  const results: StockBatchResult[] = new Array<StockBatchResult>(count).fill(undefined);
  const run = async (from: number, to: number): Promise<void> => {
    if (from >= to) {
      return;
    }
    try {
      await apply(from, to);
    } catch (err) {
      if (to - from === 1) {
        results[from] = errorMessage(err);
        return;
      }
      const mid = from + Math.ceil((to - from) / 2);
      await run(from, mid);
      await run(mid, to);
    }
  };
  await run(0, count);
  return results;
}
