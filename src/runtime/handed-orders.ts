/**
 * How a cluster node sends orders it did not just store itself: those another node handed it over
 * the bus, and those it re-sends from the store (the resync after its bus was down, the sweep's
 * stale and newcomer re-sends; cluster-node.ts says when).
 *
 * Neither sends an order past its time to live. A bus message can arrive minutes late (NATS
 * replays what a node missed while it was away; the sender's outbox keeps batches through an
 * outage), and a queued order can outlive its expiry by up to one period of the lease holder's
 * expiry timer. Such an order is left queued for that timer, which marks it expired: an operator
 * who set `--order-ttl 1m` never sees a block applied five minutes after its alert.
 */
import type { ManagerStore } from '../core/orders/manager-store.js';
import { pastTtl } from '../core/orders/order-state.js';
import type { BusOrder } from '../cluster/order-bus.js';
import type { SweepResends } from '../cluster/sweep-resends.js';
import type { AgentSessions } from '../manager/agent-sessions.js';
import { frameOf } from '../manager/order-delivery.js';

/** What sending these orders takes of the node (a ManagerContext has it). */
export interface HandedDeps {
  readonly sessions: Pick<AgentSessions, 'accepts' | 'isReady' | 'send'>;
  readonly store: Pick<ManagerStore, 'getOrder' | 'queuedOrdersOf'>;
  readonly now: () => number;
}

/** At most one warning about late hand-offs per this many ms (a NATS replay can bring many batches). */
export const LATE_WARN_MS = 10_000;

/** Reports the hand-offs that arrived past their time to live: at most once per LATE_WARN_MS, with how many since the last report. */
export class LateHandOffs {
  private count = 0;
  private warnedAt = -Infinity;

  constructor(
    private readonly warn: (text: string) => void,
    private readonly now: () => number,
  ) {}

  add(n: number): void {
    this.count += n;
    this.flush();
  }

  /** Reports what was counted since the last report, if any, once LATE_WARN_MS have passed (the sweep's tick calls it). */
  flush(): void {
    const now = this.now();
    if (this.count > 0 && now - this.warnedAt >= LATE_WARN_MS) {
      this.warnedAt = now;
      this.warn(
        `Cluster node: ${this.count} order(s) handed over by another node arrived past their time to ` +
          'live and were not sent (the order bus was late; they expire in the store).',
      );
      this.count = 0;
    }
  }
}

/** `orders` without those past their time to live at `now` (an order without one stays). */
export function withinTtl<T extends { readonly expiresAt?: number }>(orders: readonly T[], now: number): T[] {
  return orders.filter((o) => o.expiresAt === undefined || !pastTtl(o.expiresAt, now));
}

/**
 * Sends orders handed by another node to the agents whose link this node holds; returns those
 * whose agent it does not hold (to be sent on). An order without its payload (too large for the
 * bus) is read from the store and sent only while queued there. Those past their time to live are
 * counted in `late`.
 */
export async function deliverHanded(
  deps: HandedDeps,
  orders: readonly BusOrder[],
  late: Pick<LateHandOffs, 'add'>,
): Promise<BusOrder[]> {
  const missed: BusOrder[] = [];
  const held: BusOrder[] = [];
  for (const o of orders) {
    (deps.sessions.accepts(o.agentId) ? held : missed).push(o);
  }
  const live = withinTtl(held, deps.now());
  if (live.length < held.length) {
    late.add(held.length - live.length);
  }
  for (const o of live) {
    if (o.payload !== undefined) {
      deps.sessions.send(o.agentId, frameOf({ kind: o.kind, seq: o.seq, payload: o.payload }));
      continue;
    }
    const stored = await deps.store.getOrder(o.agentId, o.seq);
    if (stored?.state === 'queued' && !pastTtl(stored.expiresAt, deps.now())) {
      deps.sessions.send(o.agentId, frameOf(stored));
    }
  }
  return missed;
}

/**
 * Re-sends the queued orders of `agentIds` that are ready, in one read: every one (the resync after
 * the bus was down), or for a sweep those created before `stale.before` that `stale.resends` says
 * are due.
 */
export async function resend(
  deps: HandedDeps,
  agentIds: readonly string[],
  stale?: { readonly before: number; readonly resends: SweepResends },
): Promise<void> {
  const ready = agentIds.filter((id) => deps.sessions.isReady(id));
  const now = deps.now();
  const queued = withinTtl(await deps.store.queuedOrdersOf(ready, stale?.before), now);
  for (const o of stale === undefined ? queued : stale.resends.due(ready, queued, now)) {
    deps.sessions.send(o.agentId, frameOf(o));
  }
}

/**
 * Re-sends the queued orders of `due`'s ready agents above the seq each one's hello read its queue
 * at (sweep-newcomers.ts). Those below, sent after the welcome moments ago, are recorded as sent
 * now in `resends`, so the sweep's round does not send them again within its period either.
 */
export async function resendNewcomers(
  deps: HandedDeps,
  due: ReadonlyMap<string, number>,
  resends: SweepResends,
): Promise<void> {
  const ready = [...due.keys()].filter((id) => deps.sessions.isReady(id));
  if (ready.length === 0) {
    return;
  }
  const now = deps.now();
  const queued = withinTtl(await deps.store.queuedOrdersOf(ready), now);
  for (const o of resends.due(ready, queued, now)) {
    if (o.seq > (due.get(o.agentId) ?? 0)) {
      deps.sessions.send(o.agentId, frameOf(o));
    }
  }
}
