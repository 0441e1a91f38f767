/**
 * The agents whose hello this node received lately, each swept once soon after it (the cluster
 * sweep, runtime/cluster-node.ts), for the orders committed after its hello read its queue.
 *
 * Why: a hello sends the agent's queue as read in the hello's transaction. An order another node
 * commits after that read, but before it has learned the agent's new route from this node's
 * announcement, is handed to the node the agent left; when that node is dead, the hand-off is lost
 * and only the sweep finds the order. The sweep's round reaches each agent once per (agents /
 * slice) ticks: 25 s on a node of 2,500 agents after a failover, where this early sweep reads the
 * newcomer's queue again 1-2 ticks (2-4 s) after its hello, once the other nodes route to it.
 * Only the orders above the seq the agent's counter stood at when the hello read its queue are
 * sent again: those below were all visible to that read and sent after the welcome (an agent back
 * from a long absence may still be working through thousands of them; they are not sent twice).
 *
 * Double-buffered: an agent greeted since the last tick waits for the next one (the routes settle
 * meanwhile), then it is due once. Pure; memory: the agents greeted in the last two ticks.
 */
export class SweepNewcomers {
  private fresh = new Map<string, number>();
  private waiting = new Map<string, number>();

  /** `agentId`'s hello here read its queue with the agent's seq counter at `readAbove`. */
  greeted(agentId: string, readAbove: number): void {
    this.fresh.set(agentId, readAbove);
  }

  /**
   * At a sweep tick: the agents greeted before the previous tick, each once, with the seq above
   * which its orders may be missing; those greeted since wait for the next tick.
   */
  take(): ReadonlyMap<string, number> {
    const due = this.waiting;
    this.waiting = this.fresh;
    this.fresh = new Map();
    return due;
  }
}
