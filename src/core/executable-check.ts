/**
 * The pure part of `riposte check --home DIR` and `GET /rules/check`: every `<command>` used by an
 * enabled `<active-response>` must name an executable file in `DIR/active-response/bin` (or a stock
 * script, installed there at every start). Wazuh notices an absent one only when an alert arrives,
 * and then ignores the alert silently. What is on disk is read by config/check-executables.ts.
 */
import type { Config } from './config-model.js';
import { didYouMean } from './suggest.js';

/** Why an executable cannot run, as the message says it; undefined = it can. */
export type NotRunnable = 'does not exist' | 'is not a regular file' | 'is not executable (chmod 750 it)';

/** The executables (names in the bin directory) that must be probed: used, enabled, not stock. */
export function executablesToCheck(config: Config, stock: ReadonlySet<string>): string[] {
  const used = new Set(config.rules.filter((r) => !r.disabled).map((r) => r.command.name));
  return [
    ...new Set(
      config.commands.filter((c) => used.has(c.name) && !stock.has(c.executable)).map((c) => c.executable),
    ),
  ];
}

/**
 * One `FILE:LINE: ...` error per command whose executable cannot run. `bin` is the directory
 * (for the message), `files` what it holds plus the stock names (for "did you mean"), `why` the
 * probe result of each name {@link executablesToCheck} returned.
 */
export function executableErrors(
  config: Config,
  bin: string,
  files: readonly string[],
  why: ReadonlyMap<string, NotRunnable | undefined>,
): string[] {
  const errors: string[] = [];
  for (const c of config.commands) {
    const problem = why.get(c.executable);
    if (problem !== undefined) {
      const hint = problem === 'does not exist' ? didYouMean(c.executable, files) : '';
      errors.push(
        `${config.file}:${c.line}: Executable '${c.executable}' of command '${c.name}': ` +
          `${bin.replace(/\/$/, '')}/${c.executable} ${problem}.${hint}`,
      );
    }
  }
  return errors;
}
