/**
 * Signals a child's whole process group (the child was spawned `detached`, so it leads its own group
 * and its pid is the group id). Used only by the process runner.
 *
 * Killing the group, not just the pid, is what ends a script's background children along with it
 * when the script is past its time limit or is killed (reference §2.7: a child holding the pipes is
 * the hang Wazuh execd suffers from). A script that exits by itself keeps its children, as in Wazuh.
 */

/** How often a terminating group is checked for having exited before the SIGKILL deadline, in ms. */
const GROUP_POLL_MS = 50;

/**
 * Sends `signal` to every process in group `pgid`.
 * @returns false when the group no longer exists (ESRCH) or cannot be signalled; never throws.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to a group, then SIGKILL once `graceMs` has passed if any member is still there.
 * Idempotent: a second `terminate()` neither re-sends SIGTERM nor restarts the grace period. The
 * grace timer is deliberately kept (not unref'd) so a member that ignores SIGTERM is always killed;
 * it stops early as soon as the group is gone.
 */
export class GroupTerminator {
  private started = false;
  private poll: NodeJS.Timeout | undefined;

  /**
   * @param pgid group id (= the leader's pid); undefined when the spawn failed, making this a no-op.
   * @param graceMs time between SIGTERM and SIGKILL, in ms.
   */
  constructor(
    private readonly pgid: number | undefined,
    private readonly graceMs: number,
  ) {}

  /** Starts termination (see class doc). Safe to call at any time, including after the leader exited. */
  terminate(): void {
    const pgid = this.pgid;
    if (this.started || pgid === undefined) {
      return;
    }
    this.started = true;
    if (!signalGroup(pgid, 'SIGTERM')) {
      return;
    }
    const deadline = performance.now() + this.graceMs;
    this.poll = setInterval(
      () => {
        if (!signalGroup(pgid, 0)) {
          this.stopPolling();
        } else if (performance.now() >= deadline) {
          signalGroup(pgid, 'SIGKILL');
          this.stopPolling();
        }
      },
      Math.min(GROUP_POLL_MS, Math.max(1, this.graceMs)),
    );
  }

  private stopPolling(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }
}
