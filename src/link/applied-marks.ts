/**
 * How an agent's link session stores which orders it applied (agent-link-session.ts): a floor
 * (every seq at or below it) and the applied seqs above it, as store settings, read back leniently
 * (an unreadable value reads as none).
 */

/** The applied-orders marks: every seq <= floor, and the seqs in `above`. */
export interface AppliedMarks {
  readonly floor: number;
  readonly above: ReadonlySet<number>;
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

/** The marks after some orders were applied, and the seqs given up on to stay under the cap. */
export interface MarksChange {
  readonly marks: AppliedMarks;
  /** Seqs never applied that the floor passed because of the cap (to be logged): usually none. */
  readonly skipped: readonly number[];
}

/**
 * The floor raised over every seq applied in a row above it: an order seq is settled only once
 * every lower one is (orders from several manager nodes arrive out of seq order: the node holding
 * the link sends its own order at once, while an earlier one stored by another node is still on
 * the bus; a floor raised to the highest applied seq would then drop that earlier order as "already
 * applied" when it comes). `floor` itself may be given higher (a welcome's settledThrough, the cap).
 */
function absorb(floor: number, above: ReadonlySet<number>): AppliedMarks {
  let f = floor;
  while (above.has(f + 1)) {
    f++;
  }
  return { floor: f, above: new Set([...above].filter((n) => n > f)) };
}

/**
 * Pure: `marks` after `seqs` were applied, with the seqs in `running` still running (handed to
 * execd, not settled). Above `cap` kept seqs, the floor moves over the oldest gaps, never past a
 * running order.
 */
export function marksAfter(
  marks: AppliedMarks,
  seqs: Iterable<number>,
  running: Iterable<number>,
  cap = MAX_APPLIED_ABOVE,
): MarksChange {
  const all = new Set(marks.above);
  for (const seq of seqs) {
    if (seq > marks.floor) {
      all.add(seq);
    }
  }
  let next = absorb(marks.floor, all);
  if (next.above.size <= cap) {
    return { marks: next, skipped: [] };
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
  next = absorb(Math.max(next.floor, raised), next.above);
  return { marks: next, skipped };
}

/**
 * Pure: `marks` once the manager said no order at or below `through` is waiting for this agent
 * (its welcome's settledThrough: the seqs there were applied, or will never come, having expired
 * or been cancelled). Closes the gaps those left. Never lowers the floor.
 */
export function marksSettledThrough(marks: AppliedMarks, through: number): AppliedMarks {
  return absorb(Math.max(marks.floor, through), marks.above);
}
