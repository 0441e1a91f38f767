/**
 * What the cluster sweep (runtime/cluster-node.ts) re-sent to which agent, and when. The sweep
 * re-sends an agent's queued orders older than a few seconds, for the hand-offs a bus lost; an
 * order still queued at the next sweep is usually one its agent has not acked yet (a backlog it is
 * working through after a long absence), not a lost one. Re-sending it at every sweep (every 2 s
 * on a node of 200 agents) would push the whole backlog into the link again and again, and the
 * agent would answer each copy with an ack. So an order is re-sent at most once per `everyMs`.
 *
 * Pure: `now` is given. Memory: the stale queued orders of the agents swept last, no more (an
 * agent's entry is replaced at each of its sweeps and dropped when it has none, or when a sweep
 * round starts without it: `retain`, for the agents that left this node with orders unacked).
 */
import type { StoredOrder } from '../core/orders/manager-store.js';

/** How often the sweep re-sends one order that stays queued, ms. */
export const SWEEP_RESEND_EVERY_MS = 30_000;

export class SweepResends {
  private readonly sent = new Map<string, Map<number, number>>();

  constructor(private readonly everyMs = SWEEP_RESEND_EVERY_MS) {}

  /**
   * Of `orders` (the stale queued orders of the swept agents `agentIds`, as read now), those to
   * send at `now`: each not sent by the sweep within the last `everyMs`. Records them as sent.
   */
  due(agentIds: readonly string[], orders: readonly StoredOrder[], now: number): StoredOrder[] {
    const next = new Map<string, Map<number, number>>();
    const out: StoredOrder[] = [];
    for (const o of orders) {
      const before = this.sent.get(o.agentId)?.get(o.seq);
      const recent = before !== undefined && now - before < this.everyMs;
      let ofAgent = next.get(o.agentId);
      if (ofAgent === undefined) {
        ofAgent = new Map();
        next.set(o.agentId, ofAgent);
      }
      ofAgent.set(o.seq, recent ? before : now);
      if (!recent) {
        out.push(o);
      }
    }
    for (const id of agentIds) {
      const ofAgent = next.get(id);
      if (ofAgent === undefined) {
        this.sent.delete(id);
      } else {
        this.sent.set(id, ofAgent);
      }
    }
    return out;
  }

  /**
   * Forgets the agents not in `agentIds`, the agents the sweep's new round covers (those ready on
   * this node): an agent that left is never swept here again, so `due` would never drop it.
   */
  retain(agentIds: readonly string[]): void {
    if (this.sent.size === 0) {
      return;
    }
    const keep = new Set(agentIds);
    for (const id of this.sent.keys()) {
      if (!keep.has(id)) {
        this.sent.delete(id);
      }
    }
  }

  /** Agents with re-sent orders remembered (for tests: the memory stays bounded). */
  get agents(): number {
    return this.sent.size;
  }
}
