/**
 * `riposte check --home DIR`: every `<command>` used by an enabled `<active-response>` must name an
 * executable file in `DIR/active-response/bin` (or a stock script, installed there at every start).
 * Wazuh notices an absent one only when an alert arrives, and then ignores the alert silently.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../core/config-model.js';
import { AR_BIN_DIR } from '../core/ar-conf.js';
import { didYouMean } from '../core/suggest.js';

/** Why `path` cannot be run, or undefined when it can. */
function whyNotRunnable(path: string): string | undefined {
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
  const files = [...new Set([...listDir(bin), ...stock])];
  const used = new Set(config.rules.filter((r) => !r.disabled).map((r) => r.command.name));
  const errors: string[] = [];
  for (const c of config.commands) {
    const why =
      used.has(c.name) && !stock.has(c.executable) ? whyNotRunnable(join(bin, c.executable)) : undefined;
    if (why !== undefined) {
      const hint = why === 'does not exist' ? didYouMean(c.executable, files) : '';
      errors.push(
        `${config.file}:${c.line}: Executable '${c.executable}' of command '${c.name}': ` +
          `${join(bin, c.executable)} ${why}.${hint}`,
      );
    }
  }
  return errors;
}
