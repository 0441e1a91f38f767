/**
 * Which agents this manager process welcomed since it started, and the first order seq it stored
 * for each of the others, for the welcome's numberedThrough (link-frames.ts; AppliedOrders.cutAbove
 * on the agent). Orders go out only after a welcome, so on an agent's first hello here no order
 * this process stored for it has been on a link yet: the agent cannot have applied one. A store
 * restored from an older backup numbers seqs again that its agents applied from the lost history:
 * the first welcome then stops below the first order stored since the start, the agent drops its
 * marks from there, and the orders stored before it linked again run too. Only for a manager alone
 * on its store: a cluster node's orders may have gone out through another node (its welcome
 * reports the counter). In memory: at most one entry per agent.
 */

/** An order this process stored: its agent and seq. */
export interface StoredSeq {
  readonly agentId: string;
  readonly seq: number;
}

export class FirstHellos {
  private readonly welcomed = new Set<string>();
  /** Agents not welcomed yet: the lowest seq stored for each since the start. */
  private readonly firstStored = new Map<string, number>();

  /** `orders` were committed (before any of them is sent). */
  stored(orders: readonly StoredSeq[]): void {
    for (const { agentId, seq } of orders) {
      if (!this.welcomed.has(agentId)) {
        this.firstStored.set(agentId, Math.min(seq, this.firstStored.get(agentId) ?? seq));
      }
    }
  }

  /**
   * numberedThrough for `agentId`'s welcome: `counter` (its seq counter as the hello read it), or
   * on its first welcome here, below the first seq stored for it since the start.
   */
  numberedThrough(agentId: string, counter: number): number {
    const first = this.welcomed.has(agentId) ? undefined : this.firstStored.get(agentId);
    return first === undefined ? counter : Math.min(counter, first - 1);
  }

  /** Its welcome went out: from now on this process may have sent it orders. */
  welcome(agentId: string): void {
    this.welcomed.add(agentId);
    this.firstStored.delete(agentId);
  }
}
