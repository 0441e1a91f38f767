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
