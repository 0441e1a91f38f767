/**
 * `riposte check --home DIR` and `GET /rules/check`: reads `DIR/active-response/bin` (what it
 * holds, whether each used executable is a regular, executable file) and lets
 * core/executable-check.ts say what cannot run.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../core/config-model.js';
import { AR_BIN_DIR } from '../core/ar-conf.js';
import { executableErrors, executablesToCheck, type NotRunnable } from '../core/executable-check.js';

/** Why `path` cannot be run, or undefined when it can. */
function whyNotRunnable(path: string): NotRunnable | undefined {
  try {
    if (!statSync(path).isFile()) {
      return 'is not a regular file';
    }
  } catch {
    return 'does not exist';
  }
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return 'is not executable (chmod 750 it)';
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * One `FILE:LINE: ...` error per command whose executable cannot run from `home`. `stock` names
 * the stock scripts (always installed, so never reported).
 */
export function checkExecutables(config: Config, home: string, stock: ReadonlySet<string>): string[] {
  const bin = join(home, AR_BIN_DIR);
  const why = new Map(executablesToCheck(config, stock).map((e) => [e, whyNotRunnable(join(bin, e))]));
  return executableErrors(config, bin, [...new Set([...listDir(bin), ...stock])], why);
}
