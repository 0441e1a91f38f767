/**
 * restart-riposte: restarts the local Riposte agent. Stateless, keyless (no check_keys).
 * Also installed as `restart-wazuh` and `restart-ossec.sh`, the executables ar.conf's default
 * `restart-wazuh0` / `restart-ossec0` lines name (reference §2.2), so the manager's restart
 * command reaches Riposte agents unchanged.
 *
 * Input:  nothing beyond a valid add/delete envelope; extra_args are ignored.
 * Effect (add and delete alike, as Wazuh's restart-wazuh):
 *   - systemd running and unit riposte-agent.service or riposte.service loaded:
 *     `systemctl --no-block restart <unit>` (--no-block: the script runs inside the unit being
 *     restarted; waiting for the job would kill us mid-wait);
 *   - otherwise SIGUSR2 ("restart in place") to the pid in `<home>/var/agent.pid`, after checking that
 *     the pid is the process that wrote the file (restart/agent-pid.ts).
 * Exit:   0 once the restart is requested; 255 with `Unable to restart the agent: <why>` otherwise.
 */
import type { StockContext, StockScript } from './contract/stock-script.js';
import { ScriptFailure } from './contract/stock-script.js';
import { runToolChecked } from './contract/tools.js';
import { agentPid } from './restart/agent-pid.js';
import { agentUnit } from './restart/systemd-unit.js';
import { errorMessage } from '../protocol/error-message.js';

/** The signal the agent daemon treats as "restart in place". */
export const RESTART_SIGNAL = 'SIGUSR2';

async function requestRestart(ctx: StockContext): Promise<void> {
  const unit = await agentUnit();
  if (unit !== undefined) {
    await runToolChecked({ tool: 'systemctl', args: ['--no-block', 'restart', unit] });
    ctx.log(`Restart of ${unit} requested`);
    return;
  }
  const pid = await agentPid(ctx.host.home);
  process.kill(pid, RESTART_SIGNAL);
  ctx.log(`Sent ${RESTART_SIGNAL} to the agent (pid ${pid})`);
}

async function restart(ctx: StockContext): Promise<void> {
  try {
    await requestRestart(ctx);
  } catch (err) {
    throw new ScriptFailure(`Unable to restart the agent: ${errorMessage(err)}`);
  }
}

export const restartRiposte: StockScript = {
  name: 'restart-riposte',
  stateful: false,
  input: () => ({ ok: true, key: undefined }),
  add: restart,
  delete: restart,
};

/** ar.conf's `restart-wazuh0` executable. */
export const restartWazuhAlias: StockScript = { ...restartRiposte, name: 'restart-wazuh' };
/** ar.conf's `restart-ossec0` executable (legacy name). */
export const restartOssecAlias: StockScript = { ...restartRiposte, name: 'restart-ossec.sh' };
