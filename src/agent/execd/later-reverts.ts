/**
 * Which add orders a later revert order supersedes. With several manager nodes an add order can
 * reach the agent after a revert order of the same key that the manager created after it: the add
 * waited on the bus (a late hand-off, a batch held in its sender's outbox, a sweep's re-send) while
 * the node holding the link sent the operator's revert at once. Run as it comes, that add would
 * block again what the operator had just unblocked. Its alert is older than the operator's
 * decision, so it is not applied: decided `superseded`, answered `abort`, recorded with the reason.
 *
 * The revert's order seq is recorded with its delete execution (ExecutionStart.orderSeq), so the
 * answer survives a restart. A revert order that finds nothing active (its response timed out
 * meanwhile, or the add it follows has not decided yet) leaves no execution, so its seq is kept as
 * a revert mark (AgentStore.markRevertOrder) and supersedes the same adds. Seqs are numbered per
 * agent id: only the executions of this enrollment count (ORDERS_AFTER_EXECUTION_SETTING), and a
 * re-enrollment forgets the marks (link/applied-orders.ts).
 *
 * The common case costs no read: an add order above every order seq recorded when this process
 * first looked and every revert order recorded since cannot be superseded (seqs grow in creation
 * order). Only an add that arrives below that ceiling looks its key up (one indexed read).
 */
import { ordersAfterExecution, type AgentStore } from '../../core/execd/agent-store.js';

export class LaterReverts {
  /** No revert order recorded has a seq above this one (read once, then raised). */
  private ceiling: number | undefined;

  constructor(private readonly store: AgentStore) {}

  /**
   * A delete of revert order `seq` is being recorded (undefined: not an order). Called where its
   * start record is written, under its key's turn, so an add of that key decided after it finds it.
   */
  recorded(seq: number | undefined): void {
    if (seq !== undefined) {
      this.ceiling = Math.max(this.seqCeiling(), seq);
    }
  }

  /**
   * Revert order `seq` of `key` found nothing active (undefined: not an order, nothing to keep): a
   * mark is stored, so an add of that key created before it and decided after it is superseded.
   * Called in the revert's turn or before any add of the key could decide after it, as `recorded`.
   * @throws when the store cannot take it (the revert order fails; nothing else changed).
   */
  foundNothing(key: string, seq: number | undefined, now: number): void {
    if (seq !== undefined) {
      this.store.markRevertOrder(key, seq, now);
      this.recorded(seq);
    }
  }

  /**
   * The seq of a recorded revert order of `key` above add order `seq`, if any: the add is then
   * superseded. @throws when the store cannot be read (the add fails, as on any store error).
   */
  after(key: string, seq: number): number | undefined {
    if (seq >= this.seqCeiling()) {
      return undefined;
    }
    return this.store.revertOrderAfter(key, seq, this.executionsAfter());
  }

  private seqCeiling(): number {
    this.ceiling ??= this.store.maxOrderSeq(this.executionsAfter());
    return this.ceiling;
  }

  /** Read each time: a re-enrollment raises it while the process runs (it is rarely needed). */
  private executionsAfter(): number {
    return ordersAfterExecution(this.store);
  }
}
