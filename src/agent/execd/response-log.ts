/**
 * One info line in riposte.log per response put in force and per response reverted (issue #9:
 * something to watch), with the key, the agent and the deadline, as text and as fields.
 */
import type { ActiveResponse } from '../../protocol/execution-records.js';
import type { DaemonLog } from '../../log/daemon-log.js';

let lastIso = { ms: Number.NaN, text: '' };

/**
 * `new Date(ms).toISOString()`, the last answer kept: a burst formats the same deadline (decided in
 * the same millisecond) for many executions, twice each (the log line and the record's note).
 * @throws RangeError for a time Date cannot represent, as toISOString does.
 */
export function isoOf(ms: number): string {
  if (ms !== lastIso.ms) {
    lastIso = { ms, text: new Date(ms).toISOString() };
  }
  return lastIso.text;
}

/** "Blocked" (a new active response) or "Extended" (a repeat moved its deadline). */
export function logInForce(log: DaemonLog, active: ActiveResponse, repeat: boolean): void {
  const deadline = isoOf(active.expiresAt);
  const what = repeat ? `extended (repeat ${active.repeatCount})` : 'in force';
  log.info(
    `Active response ${what}: key '${active.key}', agent ${active.agentId}, until ${deadline} (${active.arName})`,
    {
      key: active.key,
      agent: active.agentId,
      deadline,
      arName: active.arName,
    },
  );
}

/** A response reverted, and why (timeout, manual, stop, restore). */
export function logReverted(log: DaemonLog, active: ActiveResponse, reason: string): void {
  log.info(
    `Active response reverted (${reason}): key '${active.key}', agent ${active.agentId} (${active.arName})`,
    {
      key: active.key,
      agent: active.agentId,
      reason,
      arName: active.arName,
    },
  );
}
