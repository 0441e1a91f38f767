/**
 * `riposte agent --home DIR`: the executor daemon (Wazuh's execd, persistent and time-limited).
 * Reads `<home>/etc/ossec.conf` (agent side: disabled, repeated_offenders) when present, executes
 * messages from `<home>/queue/alerts/execq` and from its manager when enrolled; its local API
 * answers the agent verbs (list, revert, run, history) in the manager API's shapes.
 */
import type { Command } from 'commander';
import { addDaemonFlags, parseDaemonFlags, type DaemonFlags } from '../daemon/daemon-options.js';
import { runLockedDaemon } from '../daemon/run-daemon.js';
import { startAgentDaemon } from '../daemon/start-agent-daemon.js';

interface AgentFlags extends DaemonFlags {
  readonly id: string;
}

export function register(program: Command): void {
  const cmd = program.command('agent').description('run the active-response agent daemon (execd)');
  addDaemonFlags(cmd)
    .option('--id <id>', 'this agent id', '000')
    .action(async (flags: AgentFlags) => {
      const options = parseDaemonFlags(flags);
      const print = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      await runLockedDaemon(
        options.home,
        'agent',
        () => startAgentDaemon({ options, agentId: flags.id, print }),
        print,
      );
    });
}
