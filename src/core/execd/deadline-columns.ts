/**
 * Column-wise deadlines (see Deadlines in agent-store.ts): a restart handles 1,000,000 of them as
 * two flat arrays instead of one object each.
 */
import type { Deadlines } from './agent-store.js';

/**
 * `cols` without the rows at `drop` (ascending indices). Returns `cols` itself when `drop` is
 * empty (the common restart: nothing overdue), so nothing is copied.
 */
export function withoutRows(cols: Deadlines, drop: readonly number[]): Deadlines {
  if (drop.length === 0) {
    return cols;
  }
  const keys: string[] = [];
  const expiresAt: number[] = [];
  let d = 0;
  for (let i = 0; i < cols.keys.length; i++) {
    if (drop[d] === i) {
      d++;
      continue;
    }
    keys.push(cols.keys[i] as string);
    expiresAt.push(cols.expiresAt[i] as number);
  }
  return { keys, expiresAt };
}
