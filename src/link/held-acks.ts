/**
 * The acks an agent's link session holds to send with their executions' reports
 * (agent-link-session.ts): an order whose execution is mapped and not reported yet has its ack
 * held; a report run takes the held acks due with it, oldest first. So the manager gets an order's
 * ack and its execution in one frame batch and writes the order once (issue #12 rows 2-3).
 *
 * Pure bookkeeping: no I/O, time is a parameter.
 */
export class HeldAcks {
  /** Seqs of orders whose execution is mapped and not reported yet. */
  private readonly unreported = new Set<number>();
  private held: { readonly seq: number; readonly at: number }[] = [];

  /** Order `seq`'s execution is recorded and will be reported. */
  mapped(seq: number): void {
    this.unreported.add(seq);
  }

  /** Order `seq`'s execution is in the report run being sent. */
  reported(seq: number): void {
    this.unreported.delete(seq);
  }

  /** The acks of `seqs` to send now (no report to wait for); the others are held from `now`. */
  settle(seqs: readonly number[], now: number): number[] {
    const out: number[] = [];
    for (const seq of seqs) {
      if (this.unreported.has(seq)) {
        this.held.push({ seq, at: now });
      } else {
        out.push(seq);
      }
    }
    return out;
  }

  /**
   * The held acks due with a report run: those of its executions (already `reported`), of orders
   * with nothing left to report, held since `heldBefore` or earlier, or all of them when no other
   * run follows at once (`more` false: what was not reported now is still running).
   */
  due(more: boolean, heldBefore: number): number[] {
    const due: number[] = [];
    const kept: { seq: number; at: number }[] = [];
    for (const h of this.held) {
      if (!more || !this.unreported.has(h.seq) || h.at <= heldBefore) {
        due.push(h.seq);
      } else {
        kept.push(h);
      }
    }
    this.held = kept;
    return due;
  }

  /** The link is gone: the held acks are void (the manager redelivers those orders, acked again). */
  clear(): void {
    this.held = [];
  }
}
