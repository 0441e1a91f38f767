/**
 * A remote agent process for the manager tests: the agent runtime (execd, store, scripts) plus the
 * link connector, exactly as `riposte agent --home DIR` runs them once enrolled. Usage:
 *   node dist/test/manager/support/agent-child.js HOME
 * Prints "ready <agentId>" when started; stops cleanly on SIGTERM.
 */
import { startAgentRuntime } from '../../../src/agent/agent-runtime.js';
import { DEFAULT_SCRIPT_LIMITS } from '../../../src/agent/executor/spawn-script.js';
import { startAgentConnector, type AgentConnector } from '../../../src/link/agent-connector.js';
import { readAgentLinkConfig } from '../../../src/link/agent-link-config.js';

const home = process.argv[2];
if (home === undefined) {
  throw new Error('usage: agent-child HOME');
}
const hook: { connector?: AgentConnector | undefined } = {};
const runtime = await startAgentRuntime({
  home,
  agentId: readAgentLinkConfig(home)?.id ?? '000',
  settings: { disabled: process.env['AGENT_AR_DISABLED'] === '1', repeatedOffenders: [] },
  limits: DEFAULT_SCRIPT_LIMITS,
  logLevel: 'info',
  bootIdFile: '/proc/sys/kernel/random/boot_id',
  revertOnStop: false,
  onExecution: (id) => hook.connector?.notifyExecution(id),
});
hook.connector = startAgentConnector(runtime, home, {
  minBackoffMs: 100,
  maxBackoffMs: 500,
  disabled: process.env['AGENT_AR_DISABLED'] === '1',
});
process.stdout.write(`ready ${hook.connector?.agentId ?? 'none'}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await hook.connector?.stop();
    await runtime.stop();
    process.exit(0);
  })();
});
