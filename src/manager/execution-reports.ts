/**
 * An agent's acks and execution reports, applied as one run (the consecutive ones of a frame
 * batch, inside its transaction): one `recordExecutions`, one `getOrders`, the order transitions
 * computed in memory in arrival order, one `updateOrders`; then the active list changes in
 * arrival order. The result is what applying each report alone, one after the other, would store
 * (the link-handler tests and the store's contract cases hold both to it): per order, an ack then
 * its execution; a delete ends the key's executed add orders, except those whose execution is
 * reported after the delete in the same run.
 */
import { nextOrderState, type OrderEvent } from '../core/orders/order-state.js';
import type { OrderUpdate, OrderUpdateOf, StoredOrder } from '../core/orders/manager-store.js';
import type { ActiveResponse } from '../protocol/execution-records.js';
import { withDeleteMessage, type ExecutionItem } from '../protocol/link.js';
import type { ManagerContext } from './manager-context.js';

export type Report =
  | { readonly type: 'ack'; readonly seq: number }
  | { readonly type: 'execution'; readonly frame: ExecutionItem };

/** One run's state: the orders read once, the writes queued, when each became executed. */
class ReportRun {
  readonly orders = new Map<number, StoredOrder>();
  /** The writes, one per order (an ack and an execution of one order merge into one update). */
  private readonly writes = new Map<number, OrderUpdateOf>();
  /** Seq -> index of the report that made the order `executed` in this run. */
  readonly executedAt = new Map<number, number>();

  get updates(): OrderUpdateOf[] {
    return [...this.writes.values()];
  }

  constructor(
    private readonly ctx: ManagerContext,
    readonly agentId: string,
    readonly now: number,
  ) {}

  /** Applies `event` to the in-memory order; queues the write and emits the state. */
  step(order: StoredOrder, event: OrderEvent, fields: Omit<OrderUpdate, 'state'>): boolean {
    const state = nextOrderState(order, event);
    if (state === order.state) {
      return false;
    }
    this.orders.set(order.seq, { ...order, ...fields, state });
    const before = this.writes.get(order.seq)?.update;
    this.writes.set(order.seq, {
      agentId: order.agentId,
      seq: order.seq,
      update: { ...before, ...fields, state },
    });
    this.ctx.emit({ type: 'order-state', agentId: order.agentId, seq: order.seq, state });
    return true;
  }

  ack(seq: number): void {
    const order = this.orders.get(seq);
    if (order !== undefined && this.step(order, { type: 'ack' }, { deliveredAt: this.now })) {
      this.ctx.emit({
        type: 'dispatch-latency',
        agentId: order.agentId,
        ms: Math.max(0, this.now - order.createdAt),
      });
    }
  }

  executed(frame: ExecutionItem, index: number): void {
    const order = frame.seq === undefined ? undefined : this.orders.get(frame.seq);
    if (order === undefined) {
      return;
    }
    const rec = frame.record;
    this.step(order, { type: 'ack' }, { deliveredAt: this.now });
    const fields = {
      executedAt: this.now,
      outcome: rec.status,
      executionId: rec.id,
      ...(rec.key !== undefined ? { key: rec.key } : {}),
    };
    // As when applied alone: executed from `delivered`, whatever the ack above found.
    const acked = this.orders.get(order.seq) ?? order;
    if (this.step({ ...acked, state: 'delivered' }, { type: 'executed' }, fields)) {
      this.executedAt.set(order.seq, index);
    }
  }

  /** The key's executed add orders become reverted, except those executed by a report after `index`. */
  async reverted(key: string, index: number): Promise<void> {
    const updates: OrderUpdateOf[] = [];
    for (const order of await this.ctx.store.executedOrdersWithKey(this.agentId, key)) {
      const later = (this.executedAt.get(order.seq) ?? -1) > index;
      if (!later && nextOrderState(order, { type: 'reverted' }) !== order.state) {
        updates.push({
          agentId: this.agentId,
          seq: order.seq,
          update: { state: 'reverted', revertedAt: this.now },
        });
        this.ctx.emit({ type: 'order-state', agentId: this.agentId, seq: order.seq, state: 'reverted' });
      }
    }
    await this.ctx.store.updateOrders(updates);
  }

  /** Active responses reported in force, not yet written (flushed in order by `flushPuts`). */
  private puts: ActiveResponse[] = [];

  /** Writes the queued puts in one `putActives`, then emits them, in arrival order. */
  async flushPuts(): Promise<void> {
    const { ctx, agentId, now, puts } = this;
    if (puts.length === 0) {
      return;
    }
    this.puts = [];
    await ctx.store.putActives(puts, now);
    for (const put of puts) {
      ctx.emit({ type: 'active', agentId, put: { ...put, reportedAt: now } });
    }
  }

  /**
   * The key's active state after the execution reported at `index`. Puts are queued (a run of
   * them is one `putActives`); a removal first writes the puts queued before it, so the store
   * sees every change in arrival order.
   */
  async active(frame: ExecutionItem, index: number): Promise<void> {
    const { ctx, agentId } = this;
    const rec = frame.record;
    if (frame.active !== null) {
      this.puts.push({ ...withDeleteMessage(frame.active), agentId });
    } else if (rec.key !== undefined) {
      await this.flushPuts();
      await ctx.store.removeActive(agentId, rec.key);
      ctx.emit({ type: 'active', agentId, removedKey: rec.key });
      if (rec.action === 'delete') {
        await this.reverted(rec.key, index);
      }
    }
  }
}

/** One agent's run of reports (the consecutive acks and execution reports of a frame batch). */
export interface ReportRunOf {
  readonly agentId: string;
  readonly reports: readonly Report[];
}

/** The orders the runs name, each once (an order's ack and execution report often share a run). */
function orderKeysOf(list: readonly ReportRunOf[]): { agentId: string; seq: number }[] {
  const keys: { agentId: string; seq: number }[] = [];
  for (const { agentId, reports } of list) {
    const seqs = new Set<number>();
    for (const r of reports) {
      const seq = r.type === 'ack' ? r.seq : r.frame.seq;
      if (seq !== undefined && !seqs.has(seq)) {
        seqs.add(seq);
        keys.push({ agentId, seq });
      }
    }
  }
  return keys;
}

/**
 * Runs of acks alone (most, while orders flow): one `ackOrders` for all of them, which stores what
 * the general path below would (each queued order delivered now, any other left as it is) without
 * reading the orders; the same events for the orders it moved. Returns the other runs.
 */
async function applyAcks(ctx: ManagerContext, all: readonly ReportRunOf[]): Promise<readonly ReportRunOf[]> {
  const runs = all.filter((run) => run.reports.every((r) => r.type === 'ack'));
  if (runs.length === 0) {
    return all;
  }
  const now = ctx.now();
  const keys = runs.flatMap(({ agentId, reports }) =>
    reports.flatMap((r) => (r.type === 'ack' ? [{ agentId, seq: r.seq }] : [])),
  );
  for (const o of await ctx.store.ackOrders(keys, now)) {
    ctx.emit({ type: 'order-state', agentId: o.agentId, seq: o.seq, state: 'delivered' });
    ctx.emit({ type: 'dispatch-latency', agentId: o.agentId, ms: Math.max(0, now - o.createdAt) });
  }
  const done = new Set(runs);
  return all.filter((run) => !done.has(run));
}

/**
 * Applies the runs of several DISTINCT agents (call inside the frame batch's transaction): what
 * applying each alone would store, since no row is shared between agents, with one
 * `recordExecutions`, one `getOrdersOf` and one `updateOrders` for all of them (a node's share of
 * a fan-out's acks: 3 statements, not 3 per agent); then each run's active-list changes. The runs
 * of acks alone take one `ackOrders` instead (applyAcks).
 */
export async function applyReportRuns(ctx: ManagerContext, all: readonly ReportRunOf[]): Promise<void> {
  const list = await applyAcks(ctx, all);
  if (list.length === 0) {
    return;
  }
  const now = ctx.now();
  const runs = list.map(({ agentId }) => new ReportRun(ctx, agentId, now));
  const executions = list.flatMap(({ agentId, reports }) =>
    reports.flatMap((r) =>
      r.type === 'execution' ? [{ ...r.frame.record, agentId, orderSeq: r.frame.seq, receivedAt: now }] : [],
    ),
  );
  const fresh = await ctx.store.recordExecutions(executions);
  executions.forEach((execution, i) => {
    if (fresh[i] === true) {
      ctx.emit({ type: 'execution', agentId: execution.agentId, status: execution.status, execution });
    }
  });
  const keys = orderKeysOf(list);
  const byAgent = new Map(runs.map((run) => [run.agentId, run]));
  for (const o of await ctx.store.getOrdersOf(keys)) {
    byAgent.get(o.agentId)?.orders.set(o.seq, o);
  }
  list.forEach(({ reports }, k) => {
    const run = runs[k];
    reports.forEach((r, i) => {
      if (r.type === 'ack') {
        run?.ack(r.seq);
      } else {
        run?.executed(r.frame, i);
      }
    });
  });
  await ctx.store.updateOrders(runs.flatMap((run) => run.updates));
  for (const [k, { reports }] of list.entries()) {
    for (const [i, r] of reports.entries()) {
      if (r.type === 'execution') {
        await runs[k]?.active(r.frame, i);
      }
    }
    await runs[k]?.flushPuts();
  }
}
