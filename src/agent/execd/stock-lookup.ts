/**
 * Which programs the agent runs in-process: a stock script shim (recognised by its marker) under
 * the home dir. One answer per path, cached: the marker only changes when the agent reinstalls
 * the shims at start. Execd runs these programs as batches (run-batch.ts), outside the spawn pool.
 */
import { join } from 'node:path';
import { readStockShimName } from '../../scripts/install.js';
import { stockScripts } from '../../scripts/registry.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';

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
    return found ?? undefined;
  };
}
