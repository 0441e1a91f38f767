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

export interface StockBatchItem {
  readonly mode: 'add' | 'delete';
  readonly ctx: StockContext;
}

/** undefined = done; a string = that item failed, with this log message. */
export type StockBatchResult = string | undefined;

export type StockBatch = (
  items: readonly StockBatchItem[],
  signal: AbortSignal,
) => Promise<StockBatchResult[]>;

/** Runs one item through the script's single-execution add/delete; its failure message, if any. */
export async function actOne(script: StockScript, item: StockBatchItem): Promise<StockBatchResult> {
  try {
    await (item.mode === 'add' ? script.add(item.ctx) : script.delete(item.ctx));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The batch form of a script without its own: items of different keys run concurrently (in-process
 * runs of one turn still coalesce, e.g. in the nft batcher); items of the same key run one after
 * the other, in order.
 */
export function concurrentBatch(script: StockScript): StockBatch {
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
 * Runs items one after the other through add/delete: the order-preserving fallback, used by batch
 * forms for the items their one-shot operation could not apply.
 */
export async function sequentialBatch(
  script: StockScript,
  items: readonly StockBatchItem[],
  signal: AbortSignal,
): Promise<StockBatchResult[]> {
  const results: StockBatchResult[] = [];
  for (const item of items) {
    results.push(signal.aborted ? 'Aborted: execution time limit reached' : await actOne(script, item));
  }
  return results;
}
