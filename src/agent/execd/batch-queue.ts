/**
 * Collects the work for one in-process program and hands it to `run` in batches: work pushed in
 * the same event-loop turn starts one batch; work pushed while a batch runs forms the next one.
 * One batch at a time per program, in push order. That is what keeps per-key order for these
 * programs (an rkey starts with its program's basename, so no other program shares it): a delete
 * never overtakes its add, without KeyOrder or pool slots.
 *
 * Work on the program's state done outside the queue (execd's bulk re-applies at a start) is
 * ordered with it through `after`: the batches not yet started wait until it has settled.
 *
 * The queue always moves on: `run` rejecting is reported to `onError` (which must settle the
 * batch's items) and the next batch starts.
 */

/** Most executions in one batch. @default 100000 */
export const DEFAULT_MAX_BATCH_ITEMS = 100_000;

/**
 * Most executions in a batch of local adds (execq datagrams): fewer executions alive at once cut
 * the scavenges' work (~13 % of a 10,000-datagram burst's CPU, issue #12 row 1). Not for manager
 * orders: each batch ends in a report run the manager applies, so smaller batches cost it more
 * (row 2).
 */
export const LOCAL_ADD_BATCH_ITEMS = 512;

/** Outside work whose end its caller marks: `done` fulfils `work` (for BatchQueue.after). */
export function outsideWork(): { work: Promise<void>; done: () => void } {
  let done = (): void => undefined;
  const work = new Promise<void>((resolve) => {
    done = resolve;
  });
  return { work, done };
}

export class BatchQueue<T> {
  private pending: T[] = [];
  private running = false;
  /** Outside work the next batch waits for (settles, never rejects); undefined once waited for. */
  private gate: Promise<unknown> | undefined;
  /** Batches started so far (tests, metrics). */
  batches = 0;

  constructor(
    private readonly run: (items: T[]) => Promise<void>,
    private readonly onError: (err: unknown, items: readonly T[]) => void,
    /** A number, or the cap for a batch starting with `first`. */
    private readonly maxItems: number | ((first: T) => number) = DEFAULT_MAX_BATCH_ITEMS,
    /** Called each time a batch is taken off the queue (there is room again: execd's intake gate). */
    private readonly onTaken?: () => void,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (!this.running) {
      this.running = true;
      // Let everything pushed in this event-loop turn (one read of the execq socket, one batch of
      // link frames, every due revert) join the first batch.
      setImmediate(() => void this.drain());
    }
  }

  /**
   * Outside work on this program's state: no batch starts (whether queued now or pushed later)
   * until `work` has settled, nor before the outside work given earlier; a batch already running
   * is not waited for. Fulfilled or rejected, the queue then moves on (`work`'s failure is the
   * caller's to report).
   */
  after(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.gate = this.gate === undefined ? settled : Promise.all([this.gate, settled]);
  }

  /** Work waiting for a batch (not counting the batch running). */
  get queued(): number {
    return this.pending.length;
  }

  /** True while a batch runs or work waits. */
  get busy(): boolean {
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        if (this.gate !== undefined) {
          await this.outsideWork();
        }
        const first = this.pending[0] as T;
        const cap = typeof this.maxItems === 'number' ? this.maxItems : this.maxItems(first);
        const batch = this.pending.splice(0, cap);
        this.batches++;
        this.onTaken?.();
        try {
          await this.run(batch);
        } catch (err) {
          this.onError(err, batch);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Resolves once the outside work given so far (and any given meanwhile) has settled. */
  private async outsideWork(): Promise<void> {
    while (this.gate !== undefined) {
      const gate = this.gate;
      await gate;
      if (this.gate === gate) {
        this.gate = undefined;
      }
    }
  }
}
