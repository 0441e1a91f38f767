/**
 * Dispatch planning for the single-host deployment (`riposte start`): the manager and its only
 * agent are the same machine, so every location (`server`, `local`, `defined-agent`, `all`)
 * resolves to this host, once per firing rule. The binding, crafted-input and white-list checks
 * are exactly those of {@link explainAlert}; only target resolution differs.
 *
 * Pure: no I/O.
 */
import { buildArMessage } from '../../protocol/ar-message.js';
import type { AlertView } from '../../protocol/alert.js';
import type { Config } from '../config-model.js';
import type { PlannedDispatch } from './decision.js';
import { explainAlert } from './plan-responses.js';

/** The id of the local agent in an all-in-one deployment (Wazuh's manager id). */
export const LOCAL_AGENT_ID = '000';

export function planAllInOne(alert: AlertView, config: Config): PlannedDispatch[] {
  return explainAlert(alert, config, [])
    .filter((d) => d.fires || d.code === 'no-targets')
    .map((d) => ({
      ruleIndex: d.ruleIndex,
      arName: d.rule.arName,
      command: d.rule.command,
      targets: [LOCAL_AGENT_ID],
      message:
        d.message ??
        buildArMessage({
          nodeName: config.nodeName,
          arName: d.rule.arName,
          extraArgs: d.rule.command.extraArgs,
          alert: alert.raw,
        }),
    }));
}
