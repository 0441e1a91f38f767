/**
 * Where a node's execution feed is in the shared store's executions (store-execution-feed.ts).
 * Executions are numbered when their insert starts, so a lower number may commit after a higher
 * one that the feed already read: the numbers skipped below the highest read are kept as `gaps`
 * and asked for again, until they show up or for {@link GAP_TTL_MS} (a number is also skipped for
 * good by an insert that rolled back or met a duplicate). Pure: `now` is passed in.
 */

/**
 * How long a skipped number is asked for again: longer than any transaction of the store may
 * stay open (idle in transaction 30 s, a statement 60 s: docs/scale-out.md).
 */
export const GAP_TTL_MS = 120_000;
/** Most skipped numbers kept (the oldest are dropped first): a bounded query and memory. */
export const MAX_GAPS = 4_096;

export interface ExecutionCursor {
  /** Every number at or below it was read or is in `gaps`. */
  readonly after: number;
  /** Skipped numbers, with when each was first found missing, oldest first. */
  readonly gaps: ReadonlyMap<number, number>;
}

export const cursorAt = (after: number): ExecutionCursor => ({ after, gaps: new Map() });

/** The numbers to ask for again. */
export const gapList = (c: ExecutionCursor): number[] => [...c.gaps.keys()];

/** Adds the numbers in (from, to) to `gaps`, at most the last MAX_GAPS of them. */
function addRange(gaps: Map<number, number>, from: number, to: number, now: number): void {
  for (let k = Math.max(from + 1, to - MAX_GAPS); k < to; k += 1) {
    gaps.set(k, now);
  }
}

/**
 * The cursor after a read that returned `numbers` (ascending, as the store sorts them): each one
 * read leaves the gaps, the ones skipped between the old `after` and the highest read join them,
 * and gaps older than GAP_TTL_MS or beyond MAX_GAPS are forgotten.
 */
export function advance(c: ExecutionCursor, numbers: readonly number[], now: number): ExecutionCursor {
  const gaps = new Map(c.gaps);
  let after = c.after;
  for (const n of numbers) {
    if (n <= c.after) {
      gaps.delete(n);
    } else if (n > after) {
      addRange(gaps, after, n, now);
      after = n;
    }
  }
  for (const [n, since] of gaps) {
    if (now - since < GAP_TTL_MS && gaps.size <= MAX_GAPS) {
      break;
    }
    gaps.delete(n);
  }
  return { after, gaps };
}
