/**
 * Chooses how to run a program: stock scripts (our shims, recognised by their marker) run
 * in-process through the script library; anything else is spawned. One decision per path,
 * cached, because the shim marker only changes when the agent reinstalls the shims at start.
 */
import { join } from 'node:path';
import { readStockShimName } from '../../scripts/install.js';
import { stockScripts } from '../../scripts/registry.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import type { ScriptRunner } from '../execd/execd-context.js';
import { runScriptInProcess } from './in-process-script.js';
import { runScript } from './spawn-script.js';

export interface RunnerOptions {
  readonly now: () => number;
  /** Run stock scripts in-process. @default true */
  readonly inProcess?: boolean;
}

export function selectRunner(opts: RunnerOptions): ScriptRunner {
  const cache = new Map<string, StockScript | null>();
  const stockFor = (file: string): StockScript | undefined => {
    if (opts.inProcess === false) {
      return undefined;
    }
    if (!cache.has(file)) {
      const name = readStockShimName(file);
      cache.set(file, (name !== undefined ? stockScripts.get(name) : undefined) ?? null);
    }
    return cache.get(file) ?? undefined;
  };
  return (inv) => {
    const stock = stockFor(join(inv.home, inv.program));
    return stock ? runScriptInProcess(stock, inv, opts.now) : runScript(inv, opts.now);
  };
}
