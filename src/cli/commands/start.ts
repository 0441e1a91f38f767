/**
 * `riposte start -c ossec.conf --home DIR`: the single-host default. The manager (alert matching)
 * and the local agent 000 run in one process; every location resolves to this host. Alerts come
 * from `--alerts FILE` (a Wazuh alerts.json, tailed) and from `POST /alerts` on the local API.
 */
import type { Command } from 'commander';
import { LOCAL_AGENT_ID } from '../../core/match/plan-all-in-one.js';
import { addDaemonFlags, parseDaemonFlags, type DaemonFlags } from '../daemon/daemon-options.js';
import { runDaemon } from '../daemon/run-daemon.js';
import { startLocalDaemon } from '../daemon/start-local-daemon.js';

interface StartFlags extends DaemonFlags {
  readonly config: string;
  readonly alerts?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('start')
    .description('run manager and local agent in one process (single host)')
    .requiredOption('-c, --config <file>', 'ossec.conf with <command>/<active-response> blocks')
    .option('--alerts <file>', 'tail this Wazuh alerts.json');
  addDaemonFlags(cmd).action(async (flags: StartFlags) => {
    const options = parseDaemonFlags(flags);
    const print = (line: string): void => {
      process.stdout.write(`${line}\n`);
    };
    await runDaemon(
      () =>
        startLocalDaemon({
          options,
          agentId: LOCAL_AGENT_ID,
          configPath: flags.config,
          print,
          ...(flags.alerts !== undefined ? { alertsFile: flags.alerts } : {}),
        }),
      print,
    );
  });
}
