/**
 * Counts of outside inputs refused at an entry point (too large, too deep, not JSON, poison line),
 * by entry and reason, for the metrics (`riposte_input_rejected_total`) and for tests.
 *
 * Thread-wide on purpose: every entry point (execq intake, link frames, API bodies, the
 * alerts.json tailer) records here without each constructor having to carry a counter, and the
 * metrics read a snapshot at scrape time. Counts only grow; readers compare snapshots.
 */

/** Where an input entered. */
export type InputEntry = 'execq' | 'link' | 'api' | 'alerts-file' | 'alert' | 'connection';

/** Why it was refused. */
export type RejectReason = 'too-large' | 'too-deep' | 'invalid' | 'poison' | 'rate-limited';

const counts = new Map<string, number>();
const listeners = new Set<(entry: InputEntry, reason: RejectReason, n: number) => void>();

/** Records one refused input (`n` of them). */
export function recordRejection(entry: InputEntry, reason: RejectReason, n = 1): void {
  const k = `${entry}\u0000${reason}`;
  counts.set(k, (counts.get(k) ?? 0) + n);
  for (const l of listeners) {
    l(entry, reason, n);
  }
}

/**
 * Calls `listener` with each rejection recorded in this thread (`n` refused inputs); returns the
 * unsubscribe function.
 * Counts are per thread: `riposte start`'s agent 000, on a worker thread, forwards its own to the
 * main thread, whose metrics render them (runtime/local-agent-worker.ts).
 */
export function onRejection(
  listener: (entry: InputEntry, reason: RejectReason, n: number) => void,
): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export interface RejectionCount {
  readonly entry: InputEntry;
  readonly reason: RejectReason;
  readonly count: number;
}

/** Every (entry, reason) seen so far with its count. */
export function rejectionCounts(): RejectionCount[] {
  return [...counts].map(([k, count]) => {
    const [entry, reason] = k.split('\u0000') as [InputEntry, RejectReason];
    return { entry, reason, count };
  });
}

/** The count for one (entry, reason), 0 when never seen. */
export function rejectionCount(entry: InputEntry, reason: RejectReason): number {
  return counts.get(`${entry}\u0000${reason}`) ?? 0;
}

/**
 * Rate limit for log lines about refused inputs: at most `burst` lines per `windowMs`, then one
 * summary line ("N similar messages suppressed") when the next window opens. Pure state machine
 * over `now`; the caller logs what {@link LogRateLimit.allow} lets through.
 */
export class LogRateLimit {
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly burst = 10,
    private readonly windowMs = 10_000,
  ) {}

  /**
   * Whether to log this occurrence; `summary` is the number of occurrences suppressed in the
   * previous window (log it first when > 0).
   */
  allow(now: number): { readonly log: boolean; readonly summary: number } {
    let summary = 0;
    if (now - this.windowStart >= this.windowMs) {
      summary = this.suppressed;
      this.windowStart = now;
      this.inWindow = 0;
      this.suppressed = 0;
    }
    this.inWindow++;
    if (this.inWindow > this.burst) {
      this.suppressed++;
      return { log: false, summary };
    }
    return { log: true, summary };
  }
}
