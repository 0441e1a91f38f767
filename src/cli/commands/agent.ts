/**
 * `riposte agent --home DIR`: the executor daemon (Wazuh's execd, persistent and time-limited).
 * Reads `<home>/etc/ossec.conf` (agent side: disabled, repeated_offenders) when present, executes
 * messages from `<home>/queue/alerts/execq` and from its manager when enrolled; its local API
 * answers the agent verbs (list, revert, run, history) in the manager API's shapes.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { agentPaths } from '../../agent/agent-paths.js';
import { quickCheckAhead } from '../../store/quick-check-ahead.js';
import { addDaemonFlags, parseDaemonFlags, type DaemonFlags } from '../daemon/daemon-options.js';
import { runLockedDaemon, type RunningDaemon } from '../daemon/run-daemon.js';

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
      // Start-up (issue #12): the store's quick_check runs on a worker thread while this thread
      // loads the daemon's modules (~120 files); the store is opened once it has come back.
      // Inside the home's lock, after the home's safety check (runLockedDaemon).
      const start = async (): Promise<RunningDaemon> => {
        const storeCheckedAhead = quickCheckAhead(agentPaths(resolve(options.home)).db);
        const { startAgentDaemon } = await import('../daemon/start-agent-daemon.js');
        return startAgentDaemon({ options, agentId: flags.id, print, storeCheckedAhead });
      };
      await runLockedDaemon(options.home, 'agent', start, print);
    });
}
