/**
 * What the manager does with each agent frame (protocol in src/protocol/link.ts). The agent's id
 * always comes from its certificate (resolved by `authenticate`), never from a frame.
 *
 * - hello: record version / AR-disabled, answer welcome, then send queued orders in seq order (this
 *   agent's orders past their expiry become expired instead, see sendQueued);
 * - ack: order delivered (+ dispatch latency);  rejected: order executed with a failed outcome;
 * - execution: recorded once ((agent, id) unique); its order becomes executed; the key's active
 *   state replaces the manager's; a delete ends the key's executed add orders (reverted);
 * - active-list: the agent's whole active list replaces the manager's view (reconcile).
 */
import type { ActiveResponse } from '../protocol/execution-records.js';
import { LinkClose, type AgentFrame } from '../protocol/link.js';
import type { AgentSession } from './agent-sessions.js';
import type { ManagerContext } from './manager-context.js';
import { applyReports, type Report } from './execution-reports.js';
import { sendQueued, transition } from './order-delivery.js';

export type AuthResult =
  { readonly ok: true; readonly agentId: string } | { readonly ok: false; readonly reason: string };

/** The link server's view of the manager. */
export interface LinkHandler {
  /** Maps a verified client certificate to an agent (a store read). */
  authenticate(fingerprint: string): Promise<AuthResult>;
  opened(agentId: string, session: AgentSession): void;
  frame(agentId: string, session: AgentSession, frame: AgentFrame): void;
  /** A pong or any sign of life. */
  seen(agentId: string): void;
  closed(agentId: string, session: AgentSession): void;
}

async function onHello(
  ctx: ManagerContext,
  agentId: string,
  frame: Extract<AgentFrame, { type: 'hello' }>,
  session: AgentSession,
): Promise<void> {
  await ctx.store.updateAgentSeen(agentId, {
    lastSeen: ctx.now(),
    version: frame.version,
    arDisabled: frame.disabled,
  });
  session.send({
    type: 'welcome',
    agentId,
    lastExecutionId: await ctx.store.lastExecutionId(agentId),
    arConf: ctx.arConf,
    batches: true,
  });
  await sendQueued(ctx, agentId, frame.batches === true);
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

async function onActiveList(
  ctx: ManagerContext,
  agentId: string,
  items: readonly ActiveResponse[],
): Promise<void> {
  const before = new Set((await ctx.store.listActive(agentId)).map((a) => a.key));
  const after = new Set(items.map((a) => a.key));
  const now = ctx.now();
  await ctx.store.replaceActive(agentId, items, now);
  ctx.emit({ type: 'active-list', agentId, items: items.map((a) => ({ ...a, agentId, reportedAt: now })) });
  for (const key of before) {
    if (!after.has(key)) {
      await markReverted(ctx, agentId, key);
    }
  }
}

type OtherFrame = Exclude<AgentFrame, { type: 'ack' | 'acks' | 'execution' | 'executions' }>;

function dispatchFrame(
  ctx: ManagerContext,
  agentId: string,
  session: AgentSession,
  frame: OtherFrame,
): Promise<void> {
  switch (frame.type) {
    case 'hello':
      return onHello(ctx, agentId, frame, session);
    case 'rejected':
      return onRejected(ctx, agentId, frame.seq, frame.reason);
    case 'active-list':
      return onActiveList(ctx, agentId, frame.items);
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

/**
 * Applies a batch of frames in arrival order: each agent's consecutive acks and execution reports
 * as one run (execution-reports.ts: bulk store calls), every other frame alone.
 */
async function applyFrames(
  ctx: ManagerContext,
  batch: readonly Pending[],
  seen: (agentId: string) => Promise<void>,
): Promise<void> {
  let run: { agentId: string; reports: Report[] } | undefined;
  const flushRun = async (): Promise<void> => {
    if (run !== undefined) {
      const { agentId, reports } = run;
      run = undefined;
      await applyReports(ctx, agentId, reports);
    }
  };
  for (const p of batch) {
    if (!ctx.sessions.isCurrent(p.agentId, p.session)) {
      continue;
    }
    await seen(p.agentId);
    const reports = reportsOf(p.frame);
    if (reports !== undefined && run?.agentId === p.agentId) {
      run.reports.push(...reports);
      continue;
    }
    await flushRun();
    if (reports !== undefined) {
      run = { agentId: p.agentId, reports };
    } else {
      await dispatchFrame(ctx, p.agentId, p.session, p.frame as OtherFrame);
    }
  }
  await flushRun();
}

/** lastSeen is written at most this often per agent (ms); heartbeats would otherwise write constantly. */
const SEEN_WRITE_EVERY_MS = 5_000;

interface Pending {
  readonly agentId: string;
  readonly session: AgentSession;
  readonly frame: AgentFrame;
}

/**
 * `batch` as at most `parts` parts for concurrent transactions: every frame of one agent in the
 * same part, in arrival order (the only order the link promises); within a part, the agents in
 * ascending id order, so every part (and an ingest's enqueueOrders) takes agents' rows in one
 * order and two transactions cannot deadlock. One part (arrival order as is) when `parts` <= 1.
 */
export function splitByAgent<P extends { readonly agentId: string }>(
  batch: readonly P[],
  parts: number,
): P[][] {
  if (parts <= 1) {
    return [[...batch]];
  }
  const byAgent = new Map<string, P[]>();
  for (const p of batch) {
    const frames = byAgent.get(p.agentId);
    if (frames === undefined) {
      byAgent.set(p.agentId, [p]);
    } else {
      frames.push(p);
    }
  }
  const agents = [...byAgent.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: P[][] = Array.from({ length: Math.min(parts, agents.length) }, () => []);
  agents.forEach((agentId, i) => {
    out[i % out.length]?.push(...(byAgent.get(agentId) ?? []));
  });
  return out;
}

/**
 * Frames arriving while the previous batch is applied (at least those of one event-loop turn) are
 * applied together (1,000 acks after a `location=all` order cost a few commits, not 1,000): split
 * by agent into up to `store.batchConcurrency` parts, each one transaction, run concurrently
 * (PostgreSQL; SQLite: one part). Each agent's frames are applied in the order they came; the
 * next batch starts once every part has finished.
 */
function frameBatcher(ctx: ManagerContext, seen: (agentId: string) => Promise<void>): (p: Pending) => void {
  let queue: Pending[] = [];
  let applying = false;
  const applyPart = async (part: readonly Pending[]): Promise<void> => {
    try {
      await ctx.store.batch(() => applyFrames(ctx, part, seen));
    } catch (err: unknown) {
      // The part rolled back; the agents re-send on reconnect (acks, executions are idempotent).
      ctx.log.error(
        `Cannot apply ${part.length} link frame(s): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
  const apply = async (batch: readonly Pending[]): Promise<void> => {
    await Promise.all(splitByAgent(batch, ctx.store.batchConcurrency).map(applyPart));
  };
  const flush = async (): Promise<void> => {
    applying = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      await apply(batch);
    }
    applying = false;
  };
  return (p) => {
    if (queue.length === 0 && !applying) {
      setImmediate(() => void flush());
    }
    queue.push(p);
  };
}

/** Runs store writes nobody waits for (connection bookkeeping) one after another, logging failures. */
function backgroundWriter(ctx: ManagerContext): (what: string, write: () => Promise<void>) => void {
  let tail: Promise<void> = Promise.resolve();
  return (what, write) => {
    tail = tail.then(write).catch((err: unknown) => {
      ctx.log.error(`Cannot record ${what}: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
}

/** Builds the manager's link handler over `ctx`. */
export function createLinkHandler(ctx: ManagerContext): LinkHandler {
  const written = new Map<string, number>();
  const write = backgroundWriter(ctx);
  const seen = async (agentId: string): Promise<void> => {
    const now = ctx.now();
    if (now - (written.get(agentId) ?? 0) >= SEEN_WRITE_EVERY_MS) {
      written.set(agentId, now);
      await ctx.store.updateAgentSeen(agentId, { lastSeen: now });
    }
  };
  const enqueue = frameBatcher(ctx, seen);
  /** Sessions that sent their hello (it may still be waiting in the batch). */
  const greeted = new WeakSet<AgentSession>();
  return {
    async authenticate(fingerprint) {
      const agent = await ctx.store.getAgentByFingerprint(fingerprint);
      if (agent === undefined) {
        return { ok: false, reason: 'unknown agent certificate' };
      }
      return agent.removedAt === undefined
        ? { ok: true, agentId: agent.id }
        : { ok: false, reason: `agent ${agent.id} was removed` };
    },
    opened(agentId, session) {
      ctx.sessions.attach(agentId, session);
      const now = ctx.now();
      write(`agent ${agentId}'s connection`, () =>
        ctx.store.updateAgentSeen(agentId, { lastSeen: now, address: session.address }),
      );
      ctx.emit({ type: 'agent-connection', agentId, connected: true });
      ctx.log.info(`Agent ${agentId} connected from ${session.address}.`);
    },
    frame(agentId, session, frame) {
      if (!ctx.sessions.isCurrent(agentId, session)) {
        return;
      }
      if (frame.type === 'hello') {
        greeted.add(session);
      } else if (!greeted.has(session)) {
        session.close(LinkClose.MALFORMED, 'hello expected first');
        return;
      }
      enqueue({ agentId, session, frame });
    },
    seen(agentId) {
      write(`agent ${agentId}'s last sign of life`, () => seen(agentId));
    },
    closed(agentId, session) {
      if (ctx.sessions.detach(agentId, session)) {
        const now = ctx.now();
        written.set(agentId, now);
        write(`agent ${agentId}'s disconnection`, () =>
          ctx.store.updateAgentSeen(agentId, { lastSeen: now }),
        );
        ctx.emit({ type: 'agent-connection', agentId, connected: false });
        ctx.log.info(`Agent ${agentId} disconnected.`);
      }
    },
  };
}
