/**
 * How long the manager API keeps its audit trail, and when a prune run is due. The trail grows by
 * one entry per state-changing request, `POST /alerts` included (a feed of 10,000 alerts/s in
 * bodies of 500 is 1.7 million entries a day), so it is pruned by age like the order history
 * (history-retention.ts), but kept much longer: it is what an investigation reads.
 *
 * Pure: no I/O, no clock (time is a parameter).
 */

/** Default audit trail kept: 365 days, in ms. */
export const DEFAULT_AUDIT_HISTORY_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Whether a prune run is due at `now`: none has run yet (`lastRunAt` undefined), or the last one
 * started at least `everyMs` before. The audit hook asks after each append, so an idle manager
 * (nothing appended, nothing to grow) runs none.
 */
export function auditPruneDue(now: number, lastRunAt: number | undefined, everyMs: number): boolean {
  return lastRunAt === undefined || now - lastRunAt >= everyMs;
}
