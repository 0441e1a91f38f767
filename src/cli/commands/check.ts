/**
 * `riposte check -c FILE [--ar-conf OUT] [--agent] [--home DIR]`: validates an ossec.conf; with
 * `--home`, also that every command used has a runnable executable in DIR/active-response/bin.
 *
 * Valid: a one-line summary on stdout, warnings on stderr as `warning: ...`, exit 0; with
 * `--ar-conf OUT` the ar.conf the manager would publish is written to OUT.
 * Invalid or unreadable: every error on stderr, one per line (`FILE:LINE: (CODE) message`), exit 1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../core/config-model.js';
import { loadConfigResult } from '../../config/load-config.js';
import { renderArConf } from '../../core/ar-conf.js';
import { EXIT_INVALID } from '../exit-codes.js';

interface CheckOptions {
  readonly config: string;
  readonly arConf?: string;
  readonly agent?: boolean;
  readonly home?: string;
}

/** Errors for executables that cannot run from `home` (the stock script registry loads only here). */
async function executableErrors(config: Config, home: string): Promise<string[]> {
  const [{ checkExecutables }, { stockScripts }] = await Promise.all([
    import('../../home/check-executables.js'),
    import('../../scripts/registry.js'),
  ]);
  return checkExecutables(config, home, new Set(stockScripts.keys()));
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `OK: 6 commands, 2 active responses (1 disabled), 3 white-list entries` */
export function managerSummary(config: Config): string {
  const disabled = config.rules.filter((r) => r.disabled).length;
  const ars = plural(config.rules.length, 'active response', 'active responses');
  return (
    `OK: ${plural(config.commands.length, 'command', 'commands')}, ` +
    `${ars}${disabled > 0 ? ` (${disabled} disabled)` : ''}, ` +
    plural(config.whiteList.entries.length, 'white-list entry', 'white-list entries')
  );
}

/** `OK (agent): active response enabled, repeated offenders 1,5,10 min` */
export function agentSummary(config: Config): string {
  const ro = config.agent.repeatedOffenders;
  return (
    `OK (agent): active response ${config.agent.disabled ? 'disabled' : 'enabled'}, ` +
    `repeated offenders ${ro.length > 0 ? `${ro.join(',')} min` : 'off'}`
  );
}

async function runCheck(opts: CheckOptions): Promise<void> {
  const mode = opts.agent === true ? 'agent' : 'manager';
  const r = await loadConfigResult(opts.config, mode);
  const warnings = r.ok ? r.config.warnings : r.warnings;
  const lines = warnings.map((w) => `warning: ${w}\n`);
  if (!r.ok) {
    process.stderr.write(lines.join('') + r.errors.map((e) => `${e}\n`).join(''));
    process.exitCode = EXIT_INVALID;
    return;
  }
  const missing =
    opts.home !== undefined && mode === 'manager' ? await executableErrors(r.config, opts.home) : [];
  if (missing.length > 0) {
    process.stderr.write(lines.join('') + missing.map((e) => `${e}\n`).join(''));
    process.exitCode = EXIT_INVALID;
    return;
  }
  process.stderr.write(lines.join(''));
  if (opts.arConf !== undefined) {
    await mkdir(dirname(opts.arConf), { recursive: true });
    await writeFile(opts.arConf, renderArConf(r.config));
  }
  process.stdout.write(`${mode === 'agent' ? agentSummary(r.config) : managerSummary(r.config)}\n`);
}

/** Registers `check` on the program. */
export function register(program: Command): void {
  program
    .command('check')
    .description('validate an ossec.conf (commands, active responses, white list)')
    .requiredOption('-c, --config <file>', 'ossec.conf to check')
    .option('--ar-conf <out>', 'also write the ar.conf the manager would publish to <out>')
    .option('--agent', 'check it as an agent configuration (only <disabled>, <repeated_offenders>)')
    .option(
      '--home <dir>',
      'also check that each command used has a runnable executable in <dir>/active-response/bin',
    )
    .action(async (opts: CheckOptions) => {
      await runCheck(opts);
    });
}
