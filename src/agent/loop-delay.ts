/**
 * How late the daemon's main event loop ran since it started serving (perf_hooks'
 * monitorEventLoopDelay, sampled every 5 ms), reported in the log when it stops. A slow loop
 * delays intake, decisions and the API alike; benchmarks read this line (BENCHMARKS.md).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 5;

export interface LoopDelayMonitor {
  /** Forget what was measured so far (called once start-up is over). */
  reset(): void;
  /** "Event loop delay since start: p50 X ms, p99 Y ms, max Z ms." and stops the monitor. */
  stop(): string;
}

const ms = (h: IntervalHistogram, q: number): string => (h.percentile(q) / 1e6).toFixed(1);

export function startLoopDelayMonitor(): LoopDelayMonitor {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return {
    reset: () => {
      h.reset();
    },
    stop: () => {
      h.disable();
      return `Event loop delay since start: p50 ${ms(h, 50)} ms, p99 ${ms(h, 99)} ms, max ${(h.max / 1e6).toFixed(1)} ms (${h.count} samples).`;
    },
  };
}
