/**
 * Which active responses are due for their `delete`, pure (style rule 4: store deadlines, reconcile).
 *
 * Wazuh fires when `now - time_of_addition > time_to_block`, checked about once a second, so a
 * delete runs between timeout+1 and timeout+2 s late. Riposte fires at the deadline itself
 * (`expiresAt <= now`): never early, and without the extra second.
 */
import type { ActiveResponse } from '../../protocol/execution-records.js';

export function isDue(active: Pick<ActiveResponse, 'expiresAt'>, now: number): boolean {
  return active.expiresAt <= now;
}

/** What to do with each stored response when the agent starts (see restore in the agent). */
export type RestoreAction = 'revert-now' | 'reapply-then-arm' | 'arm';

/**
 * After a restart: overdue responses are reverted at once; after a reboot (the kernel's boot id
 * changed) the rest are re-applied first, because kernel state (firewall sets, routes) did not
 * survive; otherwise they are simply re-armed for their original deadline.
 */
export function restoreAction(
  active: Pick<ActiveResponse, 'expiresAt'>,
  rebooted: boolean,
  now: number,
): RestoreAction {
  if (isDue(active, now)) {
    return 'revert-now';
  }
  return rebooted ? 'reapply-then-arm' : 'arm';
}
