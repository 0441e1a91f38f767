/**
 * How an agent's link session stores which orders it applied (agent-link-session.ts): a floor
 * (every seq at or below it) and the applied seqs above it, as store settings, read back leniently
 * (an unreadable value reads as none).
 */

/**
 * The applied-orders marks: every seq <= floor but those in `missing`, and the seqs in `above`.
 * `missing` holds the seqs the floor passed without them (the cap, see {@link marksAfter}): such an
 * order may still come (late, from another node's bus or sweep) and must then run, not be acked
 * as applied.
 */
export interface AppliedMarks {
  readonly floor: number;
  readonly above: ReadonlySet<number>;
  readonly missing: ReadonlySet<number>;
}

/** A stored seq, or 0 when absent or not a positive safe integer. */
export function readSeq(v: unknown): number {
  const n = Number(v ?? '0');
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The stored JSON list of applied seqs (unreadable or absent: none). */
export function readSeqList(text: string | undefined): Set<number> {
  let list: unknown;
  try {
    list = text === undefined ? [] : JSON.parse(text);
  } catch {
    list = [];
  }
  return new Set(Array.isArray(list) ? list.map(readSeq).filter((n) => n > 0) : []);
}

/**
 * Most applied seqs kept above the floor. Past it, the floor is raised over the oldest gaps (see
 * {@link marksAfter}): a seq that never arrives (an order that expired before it could be
 * delivered) would otherwise keep every later seq in the list, which is written at every settle.
 */
export const MAX_APPLIED_ABOVE = 1024;

/**
 * Most missing seqs kept below the floor. Past it the oldest are given up for good (a redelivery
 * of one would then be acked, not run): by then they are thousands of orders old, and the
 * manager's welcome (settledThrough) has usually cleared them as expired long before.
 */
export const MAX_MISSING = 4096;

/** The marks after some orders were applied, and the seqs the floor passed without them. */
export interface MarksChange {
  readonly marks: AppliedMarks;
  /** Seqs never applied that the floor passed because of the cap, now in `missing`: usually none. */
  readonly skipped: readonly number[];
  /** Missing seqs dropped from `missing` (its own cap): given up for good. Usually none. */
  readonly dropped: readonly number[];
}

/**
 * The floor raised over every seq applied in a row above it: an order seq is settled only once
 * every lower one is (orders from several manager nodes arrive out of seq order: the node holding
 * the link sends its own order at once, while an earlier one stored by another node is still on
 * the bus; a floor raised to the highest applied seq would then drop that earlier order as "already
 * applied" when it comes). `floor` itself may be given higher (a welcome's settledThrough, the cap).
 */
function absorb(floor: number, above: ReadonlySet<number>, missing: ReadonlySet<number>): AppliedMarks {
  let f = floor;
  while (above.has(f + 1)) {
    f++;
  }
  return { floor: f, above: new Set([...above].filter((n) => n > f)), missing };
}

/** `missing` without the seqs in `applied` (the same set when none of them was missing). */
function withoutApplied(missing: ReadonlySet<number>, applied: Iterable<number>): ReadonlySet<number> {
  let next: Set<number> | undefined;
  for (const seq of applied) {
    if (missing.has(seq)) {
      next ??= new Set(missing);
      next.delete(seq);
    }
  }
  return next ?? missing;
}

/** `missing` plus `skipped`, the lowest dropped past `cap`. */
function withSkipped(
  missing: ReadonlySet<number>,
  skipped: readonly number[],
  cap: number,
): { missing: ReadonlySet<number>; dropped: number[] } {
  const all = [...missing, ...skipped].sort((a, b) => a - b);
  const cut = Math.max(0, all.length - cap);
  return { missing: new Set(all.slice(cut)), dropped: all.slice(0, cut) };
}

/**
 * Pure: `marks` after `seqs` were applied, with the seqs in `running` still running (handed to
 * execd, not settled). Above `caps.above` kept seqs, the floor moves over the oldest gaps, never
 * past a running order; the gaps it passes are kept as missing (at most `caps.missing`, the oldest
 * dropped).
 */
export function marksAfter(
  marks: AppliedMarks,
  seqs: Iterable<number>,
  running: Iterable<number>,
  caps: { above: number; missing: number } = { above: MAX_APPLIED_ABOVE, missing: MAX_MISSING },
): MarksChange {
  const applied = [...seqs];
  const all = new Set(marks.above);
  for (const seq of applied) {
    if (seq > marks.floor) {
      all.add(seq);
    }
  }
  let next = absorb(marks.floor, all, withoutApplied(marks.missing, applied));
  const cap = caps.above;
  if (next.above.size <= cap) {
    return { marks: next, skipped: [], dropped: [] };
  }
  let oldestRunning = Infinity;
  for (const seq of running) {
    oldestRunning = Math.min(oldestRunning, seq);
  }
  const sorted = [...next.above].sort((a, b) => a - b);
  const raised = Math.min(sorted[sorted.length - cap - 1] ?? next.floor, oldestRunning - 1);
  const skipped: number[] = [];
  for (let s = next.floor + 1; s <= raised; s++) {
    if (!next.above.has(s)) {
      skipped.push(s);
    }
  }
  const kept = withSkipped(next.missing, skipped, caps.missing);
  next = absorb(Math.max(next.floor, raised), next.above, kept.missing);
  return { marks: next, skipped, dropped: kept.dropped };
}

/**
 * Pure: `marks` once the manager said no order at or below `through` is waiting for this agent
 * (its welcome's settledThrough: the seqs there were applied, or will never come, having expired
 * or been cancelled). Closes the gaps those left, and forgets the missing seqs there. Never lowers
 * the floor.
 */
export function marksSettledThrough(marks: AppliedMarks, through: number): AppliedMarks {
  const missing = [...marks.missing].some((n) => n <= through)
    ? new Set([...marks.missing].filter((n) => n > through))
    : marks.missing;
  return absorb(Math.max(marks.floor, through), marks.above, missing);
}

/** The highest seq `marks` count as applied (0: none). */
export function marksTop(marks: AppliedMarks): number {
  let top = marks.floor;
  for (const seq of marks.above) {
    top = Math.max(top, seq);
  }
  return top;
}

/**
 * Pure: `marks` without any seq above `top` (the manager's welcome said it numbered this agent's
 * orders only up to `top`: what is marked above belongs to a history its store does not hold).
 * `marks` itself when nothing is above; `missing` is the same set when none of it goes.
 */
export function marksCutAt(marks: AppliedMarks, top: number): AppliedMarks {
  if (marksTop(marks) <= top) {
    return marks;
  }
  const missing = [...marks.missing].some((n) => n > top)
    ? new Set([...marks.missing].filter((n) => n <= top))
    : marks.missing;
  return {
    floor: Math.min(marks.floor, top),
    above: new Set([...marks.above].filter((n) => n <= top)),
    missing,
  };
}
