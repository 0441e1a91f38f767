/**
 * Which programs the agent runs in-process: a stock script shim (recognised by its marker) under
 * the home dir, that passes the executor's trust check (owner and mode, as the runner checks it; a
 * refused one goes to the runner, which records the refusal). The shim answer is cached per path:
 * the marker only changes when the agent reinstalls the shims at start. The trust answer is kept for
 * the current event-loop turn only (a burst read in one turn costs two stat calls, not two per
 * message; a change of owner or mode counts from the next turn). Execd runs these programs as
 * batches (run-batch.ts), outside the spawn pool.
 */
import { join } from 'node:path';
import { readStockShimName } from '../../scripts/install.js';
import { stockScripts } from '../../scripts/registry.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { scriptRefusal } from '../executor/script-trust.js';

/** `program` (relative to `home`) -> its stock script, or undefined when it must be spawned. */
export function stockScriptLookup(home: string): (program: string) => StockScript | undefined {
  const cache = new Map<string, StockScript | null>();
  const trusted = new Map<string, boolean>();
  const isTrusted = (program: string): boolean => {
    let ok = trusted.get(program);
    if (ok === undefined) {
      ok = scriptRefusal(home, program) === undefined;
      if (trusted.size === 0) {
        setImmediate(() => {
          trusted.clear();
        });
      }
      trusted.set(program, ok);
    }
    return ok;
  };
  return (program) => {
    let found = cache.get(program);
    if (found === undefined) {
      const name = readStockShimName(join(home, program));
      found = (name !== undefined ? stockScripts.get(name) : undefined) ?? null;
      cache.set(program, found);
    }
    return found === null || !isTrusted(program) ? undefined : found;
  };
}
