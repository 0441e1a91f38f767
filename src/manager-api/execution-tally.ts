/**
 * Executions per minute and outcome over a sliding 24 h window, for the console's overview chart.
 * Counted by the minute the manager received the execution. Pure data structure: callers pass
 * times; nothing here reads the clock.
 */
import type { FleetExecution } from '../protocol/fleet-records.js';

export const MINUTE_MS = 60_000;
export const WINDOW_MINUTES = 24 * 60;

/** The chart's data: minute starts (epoch ms; ISO on the wire) and one count series per outcome. */
export interface PerMinute {
  readonly minutes: number[];
  readonly series: Record<string, number[]>;
}

export class ExecutionTally {
  /** minute index (epoch ms / 60000) -> outcome -> count */
  private readonly buckets = new Map<number, Map<string, number>>();
  private readonly seen = new Set<string>();

  add(e: FleetExecution): void {
    const id = `${e.agentId}-${e.id}`;
    if (this.seen.has(id)) {
      return;
    }
    this.seen.add(id);
    const minute = Math.floor(e.receivedAt / MINUTE_MS);
    let b = this.buckets.get(minute);
    if (b === undefined) {
      b = new Map();
      this.buckets.set(minute, b);
    }
    b.set(e.status, (b.get(e.status) ?? 0) + 1);
  }

  seed(executions: readonly FleetExecution[]): void {
    for (const e of executions) {
      this.add(e);
    }
  }

  /** The last 24 h up to `now`, one point per minute; drops older buckets. */
  perMinute(now: number): PerMinute {
    const last = Math.floor(now / MINUTE_MS);
    const first = last - WINDOW_MINUTES + 1;
    for (const m of this.buckets.keys()) {
      if (m < first) {
        this.buckets.delete(m);
      }
    }
    if (this.seen.size > 100_000) {
      this.seen.clear();
    }
    const outcomes = new Set<string>(['ok', 'failed']);
    for (const b of this.buckets.values()) {
      for (const k of b.keys()) {
        outcomes.add(k);
      }
    }
    const minutes: number[] = [];
    const series: Record<string, number[]> = {};
    for (const o of outcomes) {
      series[o] = [];
    }
    for (let m = first; m <= last; m++) {
      minutes.push(m * MINUTE_MS);
      const b = this.buckets.get(m);
      for (const o of outcomes) {
        series[o]?.push(b?.get(o) ?? 0);
      }
    }
    return { minutes, series };
  }
}
