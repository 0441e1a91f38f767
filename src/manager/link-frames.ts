/**
 * How a node applies a batch of its agents' link frames (link-handler.ts's frameBatcher calls
 * `applyFrames` inside one transaction per part). A node applies many agents' frames at once (a
 * fan-out's acks, a failover's hellos and active lists): the agents' frames are taken in rounds
 * (each agent's first run of reports or other frame, then its second, ...), and a round's
 * acks/reports, hellos and active lists are each applied for every agent in a few bulk statements
 * (applyReportRuns, onHellos, onActiveLists), not a few per agent. Agents share no rows, so this
 * stores what applying each frame alone in arrival order would (test/cluster/link-parts.test.ts).
 */
import type { ActiveResponse } from '../protocol/execution-records.js';
import type { StoredOrder } from '../core/orders/manager-store.js';
import type { AgentFrame } from '../protocol/link.js';
import type { AgentSession } from './agent-sessions.js';
import type { ManagerContext } from './manager-context.js';
import { applyReportRuns, type Report, type ReportRunOf } from './execution-reports.js';
import { expireQueued, frameOf, transition } from './order-delivery.js';

export interface Pending {
  readonly agentId: string;
  readonly session: AgentSession;
  readonly frame: AgentFrame;
}

interface Hello {
  readonly agentId: string;
  readonly session: AgentSession;
  readonly frame: Extract<AgentFrame, { type: 'hello' }>;
}

/**
 * The hellos of several distinct agents: their version / AR-disabled and last seen (one write),
 * their last execution ids, last order seqs and queued orders (one read each), the overdue ones
 * expired (one write); then each gets its welcome and, after it, its queued orders in seq order.
 * Sessions are marked greeting first: orders committed meanwhile are held and sent after
 * (AgentSessions).
 */
async function onHellos(ctx: ManagerContext, hellos: readonly Hello[]): Promise<void> {
  if (hellos.length === 0) {
    return;
  }
  const now = ctx.now();
  for (const h of hellos) {
    ctx.sessions.markGreeting(h.agentId, h.frame.batches === true);
  }
  const ids = hellos.map((h) => h.agentId);
  await ctx.store.updateAgentsSeen(
    hellos.map((h) => ({
      id: h.agentId,
      seen: {
        lastSeen: now,
        version: h.frame.version,
        arDisabled: h.frame.disabled,
        address: h.session.address,
      },
    })),
  );
  const lastIds = await ctx.store.lastExecutionIds(ids);
  // Before the queue read: a seq at or below an agent's last one that is not queued then is
  // settled for good (applied, expired or cancelled); a later order has a higher seq.
  const lastSeqs = await ctx.store.lastOrderSeqs(ids);
  const stored = await ctx.store.queuedOrdersOf(ids);
  const settled = new Map(ids.map((id, i) => [id, lastSeqs[i] ?? 0]));
  for (const o of stored) {
    settled.set(o.agentId, Math.min(settled.get(o.agentId) ?? 0, o.seq - 1));
  }
  const queued = await expireQueued(ctx, stored);
  const byAgent = new Map<string, StoredOrder[]>();
  for (const o of queued) {
    const list = byAgent.get(o.agentId) ?? [];
    list.push(o); // in place (a copy per order was quadratic in an agent's queue)
    byAgent.set(o.agentId, list);
  }
  hellos.forEach((h, i) => {
    if (!ctx.sessions.isCurrent(h.agentId, h.session)) {
      return; // replaced meanwhile: the newer session's own hello greets it
    }
    ctx.cluster?.greeted(h.agentId, lastSeqs[i] ?? 0);
    const counter = lastSeqs[i] ?? 0;
    h.session.send({
      type: 'welcome',
      agentId: h.agentId,
      lastExecutionId: lastIds[i] ?? 0,
      arConf: ctx.arConf,
      batches: true,
      derivedDeletes: true,
      settledThrough: settled.get(h.agentId) ?? 0,
      numberedThrough: ctx.firstHellos?.numberedThrough(h.agentId, counter) ?? counter,
    });
    ctx.firstHellos?.welcome(h.agentId);
    ctx.sessions.markReady(h.agentId, (byAgent.get(h.agentId) ?? []).map(frameOf));
  });
}

async function onRejected(ctx: ManagerContext, agentId: string, seq: number, reason: string): Promise<void> {
  const order = await ctx.store.getOrder(agentId, seq);
  if (order !== undefined) {
    await transition(
      ctx,
      order,
      { type: 'executed' },
      { executedAt: ctx.now(), outcome: 'failed', note: reason },
    );
  }
}

async function markReverted(ctx: ManagerContext, agentId: string, key: string): Promise<void> {
  const now = ctx.now();
  for (const order of await ctx.store.executedOrdersWithKey(agentId, key)) {
    await transition(ctx, order, { type: 'reverted' }, { revertedAt: now });
  }
}

interface ActiveList {
  readonly agentId: string;
  readonly items: readonly ActiveResponse[];
}

/**
 * The active-list frames of several distinct agents (after a hello): each agent's whole list
 * replaces the manager's view, and executed add orders of keys no longer active become reverted.
 * The keys held before are read for all of them at once; an agent with none before and none now
 * (most, after a failover) costs nothing more.
 */
async function onActiveLists(ctx: ManagerContext, lists: readonly ActiveList[]): Promise<void> {
  if (lists.length === 0) {
    return;
  }
  const before = new Map<string, Set<string>>();
  for (const { agentId, key } of await ctx.store.activeKeysOf(lists.map((l) => l.agentId))) {
    before.set(agentId, (before.get(agentId) ?? new Set()).add(key));
  }
  const now = ctx.now();
  for (const { agentId, items } of lists) {
    const had = before.get(agentId) ?? new Set<string>();
    const after = new Set(items.map((a) => a.key));
    if (had.size > 0 || after.size > 0) {
      await ctx.store.replaceActive(agentId, items, now);
    }
    ctx.emit({ type: 'active-list', agentId, items: items.map((a) => ({ ...a, agentId, reportedAt: now })) });
    for (const key of had) {
      if (!after.has(key)) {
        await markReverted(ctx, agentId, key);
      }
    }
  }
}

/** The acks and execution reports a frame carries (none for other frames). */
function reportsOf(frame: AgentFrame): Report[] | undefined {
  switch (frame.type) {
    case 'ack':
      return [{ type: 'ack', seq: frame.seq }];
    case 'acks':
      return frame.seqs.map((seq) => ({ type: 'ack', seq }));
    case 'execution':
      return [{ type: 'execution', frame }];
    case 'executions':
      return frame.items.map((item) => ({ type: 'execution', frame: item }));
    case 'hello':
    case 'rejected':
    case 'active-list':
      return undefined;
  }
}

/** One agent's frames as applied: its consecutive reports as one run, any other frame alone. */
type Step = { readonly reports: Report[] } | { readonly p: Pending };

/**
 * Each agent's frames of `batch` (in arrival order) as steps, agents in first-arrival order; frames
 * of a session that is no longer the agent's current one are left out.
 */
function stepsByAgent(ctx: ManagerContext, batch: readonly Pending[]): Map<string, Step[]> {
  const steps = new Map<string, Step[]>();
  for (const p of batch) {
    if (!ctx.sessions.isCurrent(p.agentId, p.session)) {
      continue;
    }
    let list = steps.get(p.agentId);
    if (list === undefined) {
      list = [];
      steps.set(p.agentId, list);
    }
    const reports = reportsOf(p.frame);
    const last = list.at(-1);
    if (reports === undefined) {
      list.push({ p });
    } else if (last !== undefined && 'reports' in last) {
      last.reports.push(...reports);
    } else {
      list.push({ reports });
    }
  }
  return steps;
}

/**
 * The batch's signs of life, for the link handler's last-seen writer (at most one write per agent
 * every few seconds, outside the frame transactions).
 */
export interface SignsOfLife {
  /** A frame of `agentId` arrived: its last seen may be due a write. */
  seen(agentId: string): void;
  /**
   * `agentId`'s last seen is written by its frame's own transaction (a hello): none is due for a
   * while. A second write of the row from the writer would race that transaction for its lock.
   */
  written(agentId: string): void;
}

/** One round's frames, by kind: every agent's k-th step. */
interface Round {
  readonly runs: ReportRunOf[];
  readonly hellos: Hello[];
  readonly lists: ActiveList[];
  readonly rejected: { agentId: string; seq: number; reason: string }[];
}

/** Files one agent's step in its round (a frame of a replaced session is dropped). */
function addStep(ctx: ManagerContext, round: Round, agentId: string, step: Step): void {
  if ('reports' in step) {
    round.runs.push({ agentId, reports: step.reports });
    return;
  }
  const { session, frame: f } = step.p;
  if (!ctx.sessions.isCurrent(agentId, session)) {
    return;
  }
  if (f.type === 'hello') {
    round.hellos.push({ agentId, session, frame: f });
  } else if (f.type === 'active-list') {
    round.lists.push({ agentId, items: f.items });
  } else if (f.type === 'rejected') {
    round.rejected.push({ agentId, seq: f.seq, reason: f.reason });
  }
}

/**
 * Applies a batch of frames: each agent's in arrival order, in rounds (round k: every agent's k-th
 * step); a round's report runs in one applyReportRuns, its hellos in one onHellos, its active
 * lists in one onActiveLists, its rejections one by one. A frame of a session that is no longer
 * the agent's current one is skipped.
 */
export async function applyFrames(
  ctx: ManagerContext,
  batch: readonly Pending[],
  life: SignsOfLife,
): Promise<void> {
  const steps = stepsByAgent(ctx, batch);
  for (let k = 0; steps.size > 0; k++) {
    const round: Round = { runs: [], hellos: [], lists: [], rejected: [] };
    for (const [agentId, list] of steps) {
      const step = list[k];
      if (step === undefined) {
        steps.delete(agentId);
      } else {
        addStep(ctx, round, agentId, step);
      }
    }
    const { runs, hellos, lists, rejected } = round;
    for (const { agentId } of [...runs, ...lists, ...rejected]) {
      life.seen(agentId);
    }
    for (const { agentId } of hellos) {
      life.written(agentId); // by onHellos, in this transaction
    }
    await applyReportRuns(ctx, runs);
    await onHellos(ctx, hellos);
    await onActiveLists(ctx, lists);
    for (const r of rejected) {
      await onRejected(ctx, r.agentId, r.seq, r.reason);
    }
  }
}
