/**
 * The `--agents` option of `riposte explain`: which agents count as known and active for the `all`
 * location. Without it, the only known agent is the one that sent the alert (so `all` shows that
 * agent, or nothing for a manager alert): explain runs offline and has no agent registry.
 */
import type { KnownAgent } from '../../core/match/decision.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';

/**
 * Parses "1,002,17" into active agents "001","002","017" (Wazuh's `%.3d`).
 * @throws RiposteError REQUEST_INVALID when an id is not 1-8 digits.
 */
export function parseAgentsOption(text: string): KnownAgent[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d{1,8}$/.test(s)) {
        throw new RiposteError(
          ErrorCode.REQUEST_INVALID,
          `Invalid agent id ${JSON.stringify(s)} in --agents`,
        );
      }
      return { id: String(Number(s)).padStart(3, '0'), active: true };
    });
}

/** The agents used for one alert: the `--agents` list, or else the alert's own agent. */
export function agentsFor(
  option: readonly KnownAgent[] | undefined,
  alertAgentId: string,
): readonly KnownAgent[] {
  return option ?? [{ id: alertAgentId, active: true }];
}
