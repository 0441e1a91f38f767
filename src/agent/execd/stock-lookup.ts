/**
 * Which programs the agent runs in-process: a stock script shim (recognised by its marker) under
 * the home dir, that passes the executor's trust check (owner and mode, checked on every call like
 * the runner does; a refused one goes to the runner, which records the refusal). The shim answer is
 * cached per path: the marker only changes when the agent reinstalls the shims at start. Execd runs
 * these programs as batches (run-batch.ts), outside the spawn pool.
 */
import { join } from 'node:path';
import { readStockShimName } from '../../scripts/install.js';
import { stockScripts } from '../../scripts/registry.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { scriptRefusal } from '../executor/script-trust.js';

/** `program` (relative to `home`) -> its stock script, or undefined when it must be spawned. */
export function stockScriptLookup(home: string): (program: string) => StockScript | undefined {
  const cache = new Map<string, StockScript | null>();
  return (program) => {
    let found = cache.get(program);
    if (found === undefined) {
      const name = readStockShimName(join(home, program));
      found = (name !== undefined ? stockScripts.get(name) : undefined) ?? null;
      cache.set(program, found);
    }
    return found === null || scriptRefusal(home, program) !== undefined ? undefined : found;
  };
}
