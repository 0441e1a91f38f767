/**
 * The rows of the bulk re-apply's target query (sqlite-statements.ts `reapplyTargets`) as targets.
 */
import type { ReapplyTarget } from '../core/execd/agent-store.js';

/** The string items of a JSON array text (extra_args); [] for anything else. */
function stringItems(json: string | null): string[] {
  if (json === null) {
    return [];
  }
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const NO_ARGS: readonly string[] = Object.freeze([]);

/** A `reapplyTargets` row (see the statement) as a target; `programs` as passed to it. */
export function reapplyTarget(row: string, programs: readonly string[]): ReapplyTarget {
  if (row.startsWith('x')) {
    const [index, key, extra] = JSON.parse(row.slice(1)) as [number, string, string | null];
    return { key, program: programs[index] ?? '', extraArgs: stringItems(extra) };
  }
  const space = row.indexOf(' ');
  return {
    key: row.slice(space + 1),
    program: programs[Number(row.slice(0, space))] ?? '',
    extraArgs: NO_ARGS,
  };
}

/** True when the keys of `targets` appear in `keys` in the same order (a subsequence of it). */
export function inOrderOf(targets: readonly ReapplyTarget[], keys: readonly string[]): boolean {
  let k = 0;
  for (const t of targets) {
    while (k < keys.length && keys[k] !== t.key) {
      k++;
    }
    if (k === keys.length) {
      return false;
    }
    k++;
  }
  return true;
}
