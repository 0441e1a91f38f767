/**
 * `riposte start -c ossec.conf --home DIR`: the single-host default. The manager runtime and its
 * in-process agent 000, over the same durable order path as a remote agent; every location
 * resolves to this host. Alerts come from `--alerts FILE` (a Wazuh alerts.json, tailed) and from
 * `POST /alerts` on the API (`<home>/var/api.sock`, and `--listen HOST:PORT`).
 */
import type { Command } from 'commander';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { addDaemonFlags, parseDaemonFlags, type DaemonFlags } from '../daemon/daemon-options.js';
import { runLockedDaemon } from '../daemon/run-daemon.js';
import { startSingleHost } from '../daemon/start-single-host.js';

interface StartFlags extends DaemonFlags {
  readonly config: string;
  readonly alerts?: string;
  readonly alertsFrom: string;
}

function startAt(text: string): 'beginning' | 'end' {
  if (text !== 'beginning' && text !== 'end') {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `--alerts-from: "${text}" is not "beginning" or "end"`);
  }
  return text;
}

export function register(program: Command): void {
  const cmd = program
    .command('start')
    .description('run manager and local agent in one process (single host)')
    .requiredOption('-c, --config <file>', 'ossec.conf with <command>/<active-response> blocks')
    .option('--alerts <file>', 'tail this Wazuh alerts.json')
    .option('--alerts-from <where>', 'where to start a new alerts file: end or beginning', 'end');
  addDaemonFlags(cmd).action(async (flags: StartFlags) => {
    const options = parseDaemonFlags(flags);
    const alertsStartAt = startAt(flags.alertsFrom);
    const print = (line: string): void => {
      process.stdout.write(`${line}\n`);
    };
    await runLockedDaemon(
      options.home,
      'start',
      () =>
        startSingleHost({
          options,
          configPath: flags.config,
          alertsStartAt,
          print,
          ...(flags.alerts !== undefined ? { alertsFile: flags.alerts } : {}),
        }),
      print,
    );
  });
}
