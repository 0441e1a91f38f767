/**
 * Reconnection delay: exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff And Jitter"): delay = random() * min(maxMs, minMs * 2^attempt). Full jitter spreads the
 * reconnections of many agents after a manager restart instead of synchronising them.
 */
export interface BackoffOptions {
  /** @default 1000 */
  readonly minMs?: number;
  /** @default 60000 */
  readonly maxMs?: number;
}

/** Delay in ms before reconnection attempt `attempt` (0-based); `random` returns [0, 1). */
export function backoffDelay(attempt: number, random: () => number, opts: BackoffOptions = {}): number {
  const min = opts.minMs ?? 1000;
  const max = opts.maxMs ?? 60_000;
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
