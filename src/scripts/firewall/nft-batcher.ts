/**
 * Coalesces concurrent set-element changes from one process into as few nftables transactions as
 * possible. This is what lets the agent apply a burst of thousands of blocks in seconds: each
 * transaction is one `nft -f -` run, whatever the number of elements.
 *
 * Rules:
 * - requests submitted in the same turn of the event loop start one transaction together;
 * - requests submitted while a transaction runs go, all together, into the next one;
 * - operation order is kept across and within requests (a block then an unblock of one address ends
 *   unblocked);
 * - when a transaction with several requests fails, it is split in two halves, each retried (and
 *   split again while it fails), so one request cannot fail the others and a batch of n requests
 *   with one bad request costs about 2·log2(n) extra transactions; each caller gets its own outcome.
 */
import type { FirewallOp } from './backend.js';

/**
 * Adds of set elements already validated and in their canonical text (a re-apply's address list,
 * address-list.ts): `elements` = `a,b,c`, put in the statement as is. Counts as one operation.
 */
export interface NftElementsOp {
  readonly kind: 'add-elements';
  readonly family: 4 | 6;
  readonly elements: string;
}

/** One set-element change, or a run of checked adds. */
export type NftOp = FirewallOp | NftElementsOp;

/** Applies a list of operations in one transaction; rejects on failure. */
export type NftApply = (ops: readonly NftOp[]) => Promise<void>;

interface Request {
  readonly ops: readonly NftOp[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  /**
   * A request of several independent ops (submitEach) splits into two halves when it fails, so
   * that each op still gets its own outcome; absent: the request succeeds or fails as a whole.
   */
  readonly split?: () => [Request, Request];
}

/** Largest number of operations put in one transaction. @default 100000 */
export const DEFAULT_MAX_BATCH_OPS = 100_000;

export class NftBatcher {
  private pending: Request[] = [];
  private running = false;
  /** Number of transactions started so far (for tests and benchmarks). */
  transactions = 0;

  constructor(
    private readonly apply: NftApply,
    private readonly maxOps: number = DEFAULT_MAX_BATCH_OPS,
  ) {}

  /** Queues `ops`; resolves once they are committed, rejects with the transaction's error. */
  submit(ops: readonly NftOp[]): Promise<void> {
    if (ops.length === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let callers of the same event-loop turn join this transaction.
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Queues each op as its own request (so a failing op is isolated from the others) in one call;
   * resolves once all are settled, with each op's error (undefined = committed). Never rejects.
   */
  submitEach(ops: readonly NftOp[]): Promise<unknown[]> {
    const errors = new Array<unknown>(ops.length).fill(undefined);
    if (ops.length === 0) {
      return Promise.resolve(errors);
    }
    return new Promise<unknown[]>((done) => {
      let left = ops.length;
      const settle = (n: number): void => {
        left -= n;
        if (left === 0) {
          done(errors);
        }
      };
      // One request per range of ops, not one per op (100,000 at once after a reboot): a failing
      // range splits in halves down to the failing op (Request.split), as separate requests would.
      const range = (from: number, to: number): Request => ({
        ops: from === 0 && to === ops.length ? ops : ops.slice(from, to),
        resolve: () => {
          settle(to - from);
        },
        reject: (err) => {
          errors.fill(err, from, to);
          settle(to - from);
        },
        ...(to - from > 1
          ? {
              split: (): [Request, Request] => {
                const mid = from + Math.ceil((to - from) / 2);
                return [range(from, mid), range(mid, to)];
              },
            }
          : {}),
      });
      for (let from = 0; from < ops.length; from += this.maxOps) {
        this.pending.push(range(from, Math.min(ops.length, from + this.maxOps)));
      }
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Takes requests from the queue up to maxOps operations (always at least one request). */
  private takeBatch(): Request[] {
    let count = 0;
    let n = 0;
    while (n < this.pending.length) {
      const size = this.pending[n]?.ops.length ?? 0;
      if (n > 0 && count + size > this.maxOps) {
        break;
      }
      count += size;
      n++;
    }
    return this.pending.splice(0, n);
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      await this.runBatch(this.takeBatch());
    }
    this.running = false;
  }

  private async runBatch(batch: readonly Request[]): Promise<void> {
    try {
      this.transactions++;
      await this.apply(batch.length === 1 ? (batch[0]?.ops ?? []) : batch.flatMap((r) => r.ops));
      batch.forEach((r) => {
        r.resolve();
      });
    } catch (err) {
      if (batch.length === 1) {
        const parts = batch[0]?.split?.();
        if (parts === undefined) {
          batch[0]?.reject(err);
          return;
        }
        await this.runBatch([parts[0]]);
        await this.runBatch([parts[1]]);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.runBatch(batch.slice(0, half));
      await this.runBatch(batch.slice(half));
    }
  }
}
