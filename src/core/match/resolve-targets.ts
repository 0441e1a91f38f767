/**
 * Where an AR goes (reference §1.8 steps 2-3, Wazuh's `OS_Exec`).
 *
 * - `server`, or `local` when the alert came from the manager itself (agent "000"): the manager's own
 *   execd only, i.e. ["000"]; this wins over `all`/`defined-agent` in the same location (Wazuh's
 *   `else if` quirk, kept because configs rely on it).
 * - else `all`: every known active agent except the manager;
 * - else `defined-agent`: the configured agent ids;
 * - else `local`: the agent that produced the alert.
 *
 * Pure: no I/O.
 */
import type { ArRule } from '../config-model.js';
import type { KnownAgent } from './decision.js';

/** The manager's agent id. */
export const MANAGER_ID = '000';

/** True for "000", "0" and other all-zero ids (Wazuh compares ids numerically: `id > 0`). */
export function isManagerId(id: string): boolean {
  return /^0+$/.test(id);
}

const remoteCache = new WeakMap<readonly KnownAgent[], readonly string[]>();

/**
 * Active agents other than the manager, in the order given. Memoised per array object: callers
 * must treat the agents array as immutable (pass a new array when the agent set changes).
 */
export function activeRemoteAgents(agents: readonly KnownAgent[]): readonly string[] {
  let ids = remoteCache.get(agents);
  if (ids === undefined) {
    ids = agents.filter((a) => a.active && !isManagerId(a.id)).map((a) => a.id);
    remoteCache.set(agents, ids);
  }
  return ids;
}

/**
 * Target agent ids for `rule` on an alert from `alertAgentId`. `remoteActive` is
 * {@link activeRemoteAgents} of the known agents; for `all` it is returned as is (shared, read-only),
 * for `defined-agent` the rule's own list.
 */
export function resolveTargets(
  rule: ArRule,
  alertAgentId: string,
  remoteActive: readonly string[],
): readonly string[] {
  const loc = rule.location;
  if (loc.server || (loc.local && isManagerId(alertAgentId))) {
    return [MANAGER_ID];
  }
  if (loc.all) {
    return remoteActive;
  }
  if (loc.definedAgent) {
    return rule.agentIds;
  }
  return loc.local ? [alertAgentId] : [];
}
