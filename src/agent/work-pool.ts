/**
 * A FIFO pool bounding how many executions run at once. FIFO matters: KeyOrder tickets are taken
 * in admission order, and a later execution may wait on an earlier one, so an earlier one must
 * never wait for a slot held by a later one.
 */
export class WorkPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Runs `task` when a slot is free; tasks start in submission order. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.slot();
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  private slot(): Promise<void> {
    if (this.running < this.size && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push(() => {
        this.running++;
        resolve();
      });
    });
  }
}
