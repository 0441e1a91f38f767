/**
 * The agent's only timer for reverts. It holds one setTimeout, aimed at the earliest deadline,
 * and on waking hands every due key to `onDue`. Deadlines themselves live in the store; this is
 * an index rebuilt from it at start, so a restart loses nothing (style rule 4).
 */
import { DeadlineHeap } from './deadline-heap.js';

/** Longest single sleep; long timers are re-aimed so clock jumps are noticed. */
const MAX_SLEEP_MS = 60_000;

export interface RevertSchedulerOptions {
  readonly now: () => number;
  /** Called with due keys, earliest first; must not throw. */
  readonly onDue: (keys: string[]) => void;
}

export class RevertScheduler {
  private readonly heap = new DeadlineHeap();
  private timer: NodeJS.Timeout | undefined;
  private aimedAt: number | undefined;
  private stopped = false;

  constructor(private readonly opts: RevertSchedulerOptions) {}

  get size(): number {
    return this.heap.size;
  }

  /** Arms (or re-arms) `key` for `at` (epoch ms). */
  arm(key: string, at: number): void {
    this.heap.set(key, at);
    this.aim();
  }

  /**
   * Arms many keys at once: `keys[i]` for `expiresAt[i]` (a restart: 100,000 deadlines, the timer
   * aimed once). The scheduler takes the arrays over: the caller must not change them afterwards.
   */
  armMany(keys: string[], expiresAt: number[]): void {
    this.heap.setMany(keys, expiresAt);
    this.aim();
  }

  disarm(key: string): void {
    this.heap.remove(key);
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = undefined;
    this.aimedAt = undefined;
  }

  private aim(): void {
    const next = this.heap.peek();
    if (this.stopped || next === undefined || (this.aimedAt !== undefined && this.aimedAt <= next)) {
      return;
    }
    this.clear();
    const delay = Math.min(Math.max(0, next - this.opts.now()), MAX_SLEEP_MS);
    this.aimedAt = next;
    this.timer = setTimeout(() => {
      this.wake();
    }, delay);
    this.timer.unref();
  }

  private wake(): void {
    this.clear();
    const due = this.heap.popDue(this.opts.now());
    if (due.length > 0) {
      this.opts.onDue(due);
    }
    this.aim();
  }
}
