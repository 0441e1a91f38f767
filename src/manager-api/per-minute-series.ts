/**
 * Executions per minute and outcome over the last 24 h, for the overview's chart, built from the
 * store's per-minute counts (so it covers the whole window after a restart). Counted by the minute
 * the manager received the execution. Pure: callers pass `now`.
 */
import type { MinuteCount } from '../core/orders/manager-console-store.js';

export const MINUTE_MS = 60_000;
export const WINDOW_MINUTES = 24 * 60;

/** The chart's data: minute starts (epoch ms; ISO on the wire) and one count series per outcome. */
export interface PerMinute {
  readonly minutes: number[];
  readonly series: Record<string, number[]>;
}

/** [since, until) of the window ending with the minute that holds `now`. */
export function perMinuteWindow(now: number): { since: number; until: number } {
  const last = Math.floor(now / MINUTE_MS);
  return { since: (last - WINDOW_MINUTES + 1) * MINUTE_MS, until: (last + 1) * MINUTE_MS };
}

/** One point per minute of the window (zeros included); `ok` and `failed` series always present. */
export function perMinuteSeries(counts: readonly MinuteCount[], now: number): PerMinute {
  const { since } = perMinuteWindow(now);
  const outcomes = new Set<string>(['ok', 'failed', ...counts.map((c) => c.status)]);
  const series: Record<string, number[]> = {};
  for (const o of outcomes) {
    series[o] = new Array<number>(WINDOW_MINUTES).fill(0);
  }
  const minutes = Array.from({ length: WINDOW_MINUTES }, (_, i) => since + i * MINUTE_MS);
  for (const c of counts) {
    const i = Math.floor((c.minute - since) / MINUTE_MS);
    const s = series[c.status];
    if (s !== undefined && i >= 0 && i < WINDOW_MINUTES) {
      s[i] = (s[i] ?? 0) + c.count;
    }
  }
  return { minutes, series };
}
