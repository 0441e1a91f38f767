/**
 * Standalone entry point of every stock script: the installed shim
 * (`<home>/active-response/bin/<name>`, see install.ts) calls `main(name, selfPath)`.
 *
 * Like Wazuh's `setup_and_check_message`: home = realpath of the executable cut at
 * `/active-response` (fallback: env WAZUH_HOME, then /var/ossec), chdir there (failure is fatal),
 * then run the script over stdin/stdout and exit with its code (0 or 255). The name logged is the
 * executable's path relative to home (`active-response/bin/<name>`), which is what execd spawns and
 * what Wazuh's decoders expect.
 */
import { realpathSync } from 'node:fs';
import { relative } from 'node:path';
import { SCRIPT_EXIT_FAILURE } from '../../protocol/script-io.js';
import { stdioChannel } from '../contract/channel.js';
import { runStockScript } from '../contract/run-stock-script.js';
import { stockScripts } from '../registry.js';

/** Fallback install dir, as Wazuh's. */
export const DEFAULT_HOME = '/var/ossec';

/** The install dir for an executable at `realPath` (Wazuh's rule). */
export function homeOf(realPath: string, env: NodeJS.ProcessEnv): string {
  const cut = realPath.lastIndexOf('/active-response/');
  if (cut > 0) {
    return realPath.slice(0, cut);
  }
  return env['WAZUH_HOME'] ?? DEFAULT_HOME;
}

function die(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(SCRIPT_EXIT_FAILURE);
}

/** Runs stock script `name` as a process and exits. Never returns normally. */
export async function main(name: string, selfPath: string): Promise<void> {
  const script = stockScripts.get(name);
  if (!script) {
    die(`riposte: unknown stock script '${name}'`);
  }
  let real: string;
  try {
    real = realpathSync(selfPath);
  } catch {
    real = selfPath;
  }
  const home = homeOf(real, process.env);
  try {
    process.chdir(home);
  } catch (err) {
    die(`riposte: cannot chdir to '${home}': ${(err as Error).message}`);
  }
  const rel = relative(home, real);
  const argv0 = rel.startsWith('..') || rel === '' ? `active-response/bin/${name}` : rel;
  const code = await runStockScript(script, stdioChannel(), { home, argv0, now: () => new Date() });
  process.exit(code);
}
