/**
 * What the manager does with each agent frame (protocol in src/protocol/link.ts). The agent's id
 * always comes from its certificate (resolved by `authenticate`), never from a frame.
 *
 * - hello: record version / AR-disabled, answer welcome, then send queued orders in seq order (this
 *   agent's orders past their expiry become expired instead, see expireQueued in order-delivery.ts);
 * - ack: order delivered (+ dispatch latency);  rejected: order executed with a failed outcome;
 * - execution: recorded once ((agent, id) unique); its order becomes executed; the key's active
 *   state replaces the manager's; a delete ends the key's executed add orders (reverted);
 * - active-list: the agent's whole active list replaces the manager's view (reconcile).
 *
 * Frames are applied in batches (frameBatcher; how, in link-frames.ts); last-seen writes are
 * coalesced (seenWriter). The frames waiting for a batch are bounded by backpressure: past a mark,
 * the sessions sending them stop being read until the next batch takes them (read-pauses.ts).
 */
import { mergeSeen, type AgentSeen } from '../core/orders/manager-store.js';
import { LinkClose, type AgentFrame } from '../protocol/link.js';
import type { AgentSession } from './agent-sessions.js';
import type { ManagerContext } from './manager-context.js';
import type { LinkBacklog, ManagerEvent } from './manager-service.js';
import { applyFrames, type Pending, type SignsOfLife } from './link-frames.js';
import { readPauses } from './read-pauses.js';
import { fingerprintLookups } from './fingerprint-lookups.js';
import { errorMessage } from '../protocol/error-message.js';

export type AuthResult =
  { readonly ok: true; readonly agentId: string } | { readonly ok: false; readonly reason: string };

/** The link server's view of the manager. */
export interface LinkHandler {
  /** Maps a verified client certificate to an agent (a store read). */
  authenticate(fingerprint: string): Promise<AuthResult>;
  opened(agentId: string, session: AgentSession): void;
  /**
   * `bytes`: the frame's size as received, counted against the backlog's byte marks (the
   * in-process links of agent 000 have no text to measure: 0).
   */
  frame(agentId: string, session: AgentSession, frame: AgentFrame, bytes?: number): void;
  /** A pong or any sign of life. */
  seen(agentId: string): void;
  closed(agentId: string, session: AgentSession): void;
  /** Resolves once the frames and last-seen writes received so far are applied (before the store closes). */
  drain(): Promise<void>;
}

/** lastSeen is written at most this often per agent (ms); heartbeats would otherwise write constantly. */
const SEEN_WRITE_EVERY_MS = 5_000;

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

/** Items written later by one flush loop at a time; `idle()` resolves once none is queued or in flight. */
interface SerialQueue<T> {
  push(item: T): void;
  idle(): Promise<void>;
}

/**
 * The next-turn scheduling of a flush loop, and a wait for it: a flush scheduled (setImmediate) or
 * running. The manager's stop awaits `idle()` before closing the store, so writes queued by the last
 * frames and disconnections are made, not lost to a closed connection. One flush runs at a time: a
 * `schedule` while one is scheduled adds nothing; one while a flush runs starts the next after it
 * (the running one may have left its loop already). So the flush loops never overlap, and `idle()`
 * waits for every one scheduled (two at once let it return while the first was still writing).
 */
function flushTurn(): { schedule(flush: () => Promise<void>): void; idle(): Promise<void> } {
  let scheduled = false;
  let running: Promise<void> | undefined;
  return {
    schedule(flush) {
      if (scheduled) {
        return;
      }
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const run: Promise<void> = (running?.then(flush, flush) ?? flush()).finally(() => {
          if (running === run) {
            running = undefined;
          }
        });
        running = run;
      });
    },
    async idle() {
      while (scheduled || running !== undefined) {
        await (running ?? new Promise<void>((resolve) => setImmediate(resolve)));
      }
    },
  };
}

/**
 * Whether `frame` may be applied: a session's first frame is its hello, and it has one. Each hello
 * is answered with a welcome and the agent's whole queue: a peer repeating it (and not reading)
 * would make this side buffer without bound. A frame refused closes the session (4400).
 */
function admitted(greeted: WeakSet<AgentSession>, session: AgentSession, frame: AgentFrame): boolean {
  if (frame.type === 'hello') {
    if (greeted.has(session)) {
      session.close(LinkClose.MALFORMED, 'one hello per connection');
      return false;
    }
    greeted.add(session);
    return true;
  }
  if (!greeted.has(session)) {
    session.close(LinkClose.MALFORMED, 'hello expected first');
    return false;
  }
  return true;
}

/**
 * Frames arriving while the previous batch is applied (at least those of one event-loop turn) are
 * applied together (1,000 acks after a `location=all` order cost a few commits, not 1,000): split
 * by agent into up to `store.batchConcurrency` parts, each one transaction, run concurrently
 * (PostgreSQL; SQLite: one part). Each agent's frames are applied in the order they came; the
 * next batch starts once every part has finished. The queue meanwhile is bounded by pausing the
 * sessions that fill it (`bytes`: the frame's size as received), read again when a batch takes it.
 */
function frameBatcher(
  ctx: ManagerContext,
  life: SignsOfLife,
): { push(p: Pending, bytes: number): void; idle(): Promise<void>; backlog(): LinkBacklog } {
  let queue: Pending[] = [];
  let applying = false;
  const turn = flushTurn();
  const pauses = readPauses(ctx.log);
  const applyPart = async (part: readonly Pending[]): Promise<void> => {
    // The part's events are told once its transaction has committed: a listener (metrics, feeds,
    // the API's active list, which a cluster node also re-reads from the store) never sees what a
    // rollback undoes, nor sees it before the store's readers can.
    const events: ManagerEvent[] = [];
    const inPart: ManagerContext = { ...ctx, emit: (e) => events.push(e) };
    try {
      await ctx.store.batch(() => applyFrames(inPart, part, life));
    } catch (err: unknown) {
      // The part rolled back. Its agents are asked to reconnect (to this node or the next) and
      // re-send it (acks, executions are idempotent): left connected, an agent whose hello was
      // lost would wait for a welcome, and its reports would stay unknown until a later reconnect.
      ctx.log.error(
        `Cannot apply ${part.length} link frame(s): ${errorMessage(err)}; their agents reconnect to re-send them.`,
      );
      for (const p of new Map(part.map((p) => [p.agentId, p])).values()) {
        if (ctx.sessions.isCurrent(p.agentId, p.session)) {
          p.session.retry?.();
        }
      }
      return;
    }
    for (const e of events) {
      ctx.emit(e);
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
      pauses.taken();
      await apply(batch);
    }
    applying = false;
    pauses.drained();
  };
  return {
    push(p, bytes) {
      if (queue.length === 0 && !applying) {
        turn.schedule(flush);
      }
      queue.push(p);
      pauses.queued(p.agentId, p.session, bytes);
    },
    idle: () => turn.idle(),
    backlog: () => pauses.state(),
  };
}

/**
 * Last-seen writes nobody waits for (connections, disconnections, signs of life): queued per agent
 * (a later write merges over an earlier one) and written together, one `updateAgentsSeen` at a
 * time, outside the frame transactions; a failure is logged (bookkeeping, nothing else depends on it).
 */
function seenWriter(ctx: ManagerContext): SerialQueue<{ agentId: string; seen: AgentSeen }> {
  let pending = new Map<string, AgentSeen>();
  let writing = false;
  const turn = flushTurn();
  const flush = async (): Promise<void> => {
    writing = true;
    while (pending.size > 0) {
      const list = [...pending].map(([id, seen]) => ({ id, seen }));
      pending = new Map();
      try {
        await ctx.store.updateAgentsSeen(list);
      } catch (err: unknown) {
        ctx.log.error(`Cannot record ${list.length} agent(s)' last sign of life: ${errorMessage(err)}`);
      }
    }
    writing = false;
  };
  return {
    push({ agentId, seen }) {
      const before = pending.get(agentId);
      pending.set(agentId, before === undefined ? seen : mergeSeen(before, seen));
      // flushTurn schedules one flush at a time: the same agent pushed twice before the flush
      // starts (a sign of life, then its close) schedules nothing more.
      if (!writing) {
        turn.schedule(flush);
      }
    },
    idle: () => turn.idle(),
  };
}

/** LinkHandler.authenticate: the enrolled, not removed agent of a certificate's fingerprint. */
function authenticator(ctx: ManagerContext): LinkHandler['authenticate'] {
  const agentWithFingerprint = fingerprintLookups(ctx.store);
  return async (fingerprint) => {
    const agent = await agentWithFingerprint(fingerprint);
    if (agent === undefined) {
      return { ok: false, reason: 'unknown agent certificate' };
    }
    return agent.removedAt === undefined
      ? { ok: true, agentId: agent.id }
      : { ok: false, reason: `agent ${agent.id} was removed` };
  };
}

/** The manager's own link handler: the transport's interface, plus its backlog for the metrics. */
export interface ManagerLinkHandler extends LinkHandler {
  backlog(): LinkBacklog;
}

/** Builds the manager's link handler over `ctx`. */
export function createLinkHandler(ctx: ManagerContext): ManagerLinkHandler {
  const written = new Map<string, number>();
  const write = seenWriter(ctx);
  /** A sign of life of `agentId`: written at most every SEEN_WRITE_EVERY_MS. */
  const seen = (agentId: string): void => {
    const now = ctx.now();
    if (now - (written.get(agentId) ?? 0) >= SEEN_WRITE_EVERY_MS) {
      written.set(agentId, now);
      write.push({ agentId, seen: { lastSeen: now } });
    }
  };
  const enqueue = frameBatcher(ctx, {
    seen,
    written(agentId) {
      written.set(agentId, ctx.now());
    },
  });
  /** Sessions that sent their hello (it may still be waiting in the batch). */
  const greeted = new WeakSet<AgentSession>();
  return {
    authenticate: authenticator(ctx),
    opened(agentId, session) {
      // No write here: the hello's transaction writes the agent's last seen and address moments
      // later (a write now raced it for the agent's row lock), and a link that never says hello
      // has them written when it closes.
      ctx.sessions.attach(agentId, session);
      ctx.emit({ type: 'agent-connection', agentId, connected: true });
      ctx.log.info(`Agent ${agentId} connected from ${session.address}.`);
    },
    frame(agentId, session, frame, bytes = 0) {
      if (!ctx.sessions.isCurrent(agentId, session)) {
        return;
      }
      if (admitted(greeted, session, frame)) {
        enqueue.push({ agentId, session, frame }, bytes);
      }
    },
    seen(agentId) {
      seen(agentId);
    },
    closed(agentId, session) {
      if (ctx.sessions.detach(agentId, session)) {
        const now = ctx.now();
        written.set(agentId, now);
        // A greeted link's address was written by its hello; a later one (an older link found
        // dead late) must not overwrite the address of the agent's newer link on another node.
        const address = greeted.has(session) ? {} : { address: session.address };
        write.push({ agentId, seen: { lastSeen: now, ...address } });
        ctx.emit({ type: 'agent-connection', agentId, connected: false });
        ctx.log.info(`Agent ${agentId} disconnected.`);
      }
    },
    async drain() {
      await enqueue.idle();
      // Applying frames writes signs of life: the writer is drained after the frames.
      await write.idle();
    },
    backlog: () => enqueue.backlog(),
  };
}
