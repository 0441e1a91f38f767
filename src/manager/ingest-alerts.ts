/**
 * Alert ingestion on the manager (analysisd's AR step, reference §1.8): parse each alerts.json line,
 * plan it (the one pure planner), and queue one durable order per target agent. A target that is
 * not enrolled (or removed) is reported in the summary, like remoted's (1320) "Agent not found";
 * so is an alert whose responses a crafted srcip or dstuser stopped, with analysisd's (1271) /
 * (1272) "Possible logging attack" warning. Both are logged as warnings (at most MAX_ERRORS a batch).
 *
 * A batch is one store transaction: every order of every line, plus (for the alerts.json tailer)
 * the file position just after the batch, commit together, and only then are the orders sent. A
 * crash before the commit loses nothing (the lines are read again); after it, none is read twice.
 */
import { planAlert } from '../core/match/plan-responses.js';
import { craftedInputWarning } from '../core/match/crafted-input.js';
import { performance } from 'node:perf_hooks';
import type { KnownAgent } from '../core/match/decision.js';
import type { AgentPresence, StoredOrder } from '../core/orders/manager-store.js';
import { parseAlertLine, type AlertView } from '../protocol/alert.js';
import { recordRejection } from '../protocol/input-rejections.js';
import { LOCAL_AGENT_ID, type ManagerContext } from './manager-context.js';
import type { IngestSummary } from '../protocol/fleet-records.js';
import type { IngestCheckpoint } from './manager-service.js';
import { queueOrders, type OrderRequest } from './order-delivery.js';

/** At most this many error strings per summary. */
const MAX_ERRORS = 20;
/** At most this many per-line rejections per summary (`invalid` counts them all). */
const MAX_REJECTED = 1000;

/**
 * How long a cluster node reuses its read of the agents' presence for ingest, ms. A POST of 500
 * alerts at 5,000 agents would otherwise read (and parse) 5,000 rows, 10 per alert. An alert whose
 * agent is not in a reused read reads again before it is reported unknown, so an agent enrolled on
 * another node a moment ago is found; an agent removed on another node within this time may still
 * get an order queued (it can no longer connect; the order expires), as if the POST came first.
 */
export const PRESENCE_REUSE_MS = 1_000;

interface PresenceRead {
  readonly at: number;
  readonly rows: Promise<readonly AgentPresence[]>;
}

const presenceReads = new WeakMap<ManagerContext, PresenceRead>();

/**
 * The agents' presence rows: on a cluster node a read at most PRESENCE_REUSE_MS old (concurrent
 * POSTs share one read) unless `fresh`; `reused` says whether it came from before this call.
 */
async function presence(
  ctx: ManagerContext,
  fresh: boolean,
): Promise<{ readonly rows: readonly AgentPresence[]; readonly reused: boolean }> {
  if (ctx.cluster === undefined) {
    return { rows: await ctx.store.agentPresence(), reused: false };
  }
  const at = performance.now();
  const last = presenceReads.get(ctx);
  if (!fresh && last !== undefined && at - last.at < PRESENCE_REUSE_MS) {
    return { rows: await last.rows, reused: true };
  }
  const rows = ctx.store.agentPresence();
  presenceReads.set(ctx, { at, rows });
  rows.catch(() => {
    if (presenceReads.get(ctx)?.rows === rows) {
      presenceReads.delete(ctx); // a failed read is not reused
    }
  });
  return { rows: await rows, reused: false };
}

/** Forgets the node's reused presence read (this node removed an agent). */
export function forgetPresence(ctx: ManagerContext): void {
  presenceReads.delete(ctx);
}

/**
 * Enrolled, not removed agents (and the local agent 000). `active` = connected now, or seen within
 * the disconnection time (Wazuh's `connection_status = active`), see ManagerContext.
 */
function knownFrom(ctx: ManagerContext, present: readonly AgentPresence[]): KnownAgent[] {
  const out: KnownAgent[] = [{ id: LOCAL_AGENT_ID, active: ctx.sessions.isConnected(LOCAL_AGENT_ID) }];
  const since = ctx.now() - ctx.disconnectionTimeMs;
  for (const a of present) {
    const recent = a.lastSeen !== undefined && a.lastSeen >= since;
    out.push({ id: a.id, active: ctx.sessions.isConnected(a.id) || recent });
  }
  return out;
}

/** The known agents of one presence read, and their ids (what planning a batch needs). */
interface Known {
  readonly agents: readonly KnownAgent[];
  readonly ids: ReadonlySet<string>;
}

interface KnownOfRead extends Known {
  readonly rows: readonly AgentPresence[];
  readonly sessions: number;
  readonly at: number;
}

const knownOfReads = new WeakMap<ManagerContext, KnownOfRead>();

/**
 * {@link knownFrom} `rows` with their ids, reused while the rows are the same read (a cluster
 * node's reused presence read), no link opened or closed on this node since (AgentSessions.changes)
 * and at most PRESENCE_REUSE_MS old: a POST of 500 alerts at 5,000 agents would otherwise rebuild
 * 5,000 entries, 10 per alert. The same array also keeps activeRemoteAgents' memo for `all`.
 */
function knownOf(ctx: ManagerContext, rows: readonly AgentPresence[]): Known {
  const at = ctx.now();
  const sessions = ctx.sessions.changes;
  const last = knownOfReads.get(ctx);
  if (
    last !== undefined &&
    last.rows === rows &&
    last.sessions === sessions &&
    at >= last.at &&
    at - last.at < PRESENCE_REUSE_MS
  ) {
    return last;
  }
  const agents = knownFrom(ctx, rows);
  const known: KnownOfRead = { agents, ids: new Set(agents.map((a) => a.id)), rows, sessions, at };
  knownOfReads.set(ctx, known);
  return known;
}

/** {@link knownFrom} a fresh read of the store. */
export async function knownAgents(ctx: ManagerContext): Promise<KnownAgent[]> {
  return knownFrom(ctx, await ctx.store.agentPresence());
}

interface Tally {
  dispatches: number;
  /** Targets not enrolled (or removed): reported as (1320). */
  unknown: number;
  accepted: number;
  invalid: number;
  readonly errors: string[];
  readonly rejected: { line: number; error: string }[];
  readonly reqs: OrderRequest[];
  /** The ids of the known agents, built once per read (not per alert: O(agents) each at 5,000 agents). */
  readonly known: ReadonlySet<string>;
  /** Metrics and log lines of the plan, made once it is the one kept (see ingestAlerts). */
  readonly effects: (() => void)[];
  /** How the errors name line i of the batch (IngestCheckpoint.lineLabel). */
  readonly label: (i: number) => string;
}

/** A POST's lines: `line 3` (1-based, as in the summary's `rejected`). */
const bodyLine = (i: number): string => `line ${i + 1}`;

/** Plans one alert and adds its orders to the batch (nothing is written yet). */
function dispatchAlert(
  ctx: ManagerContext,
  alert: AlertView,
  agents: readonly KnownAgent[],
  tally: Tally,
): void {
  const known = tally.known;
  const createdAt = ctx.now();
  const plan = planAlert(alert, ctx.config, { agents, singleHost: ctx.singleHost });
  const alertId = alert.id;
  const reqs: OrderRequest[] = [];
  const errors: string[] = [];
  for (const d of plan.firing) {
    const payload = JSON.stringify(d.message);
    const arName = d.rule.arName;
    for (const agentId of d.targets) {
      if (!known.has(agentId)) {
        errors.push(`(1320): Agent '${agentId}' not found (AR ${arName}).`);
        continue;
      }
      // One object shape per branch, no spread: this runs once per order.
      reqs.push(
        alertId === undefined
          ? { agentId, kind: 'add', source: 'alert', arName, payload, createdAt }
          : { agentId, kind: 'add', source: 'alert', arName, payload, createdAt, alertId },
      );
    }
  }
  // Added only once the whole alert is planned: a line that throws adds nothing.
  tally.unknown += errors.length;
  for (const e of errors) {
    tally.errors.push(e);
  }
  const crafted = plan.veto && craftedInputWarning(alert, plan.veto.code);
  if (crafted !== undefined) {
    tally.errors.push(
      `${crafted} No active response for alert ${alertId ?? '(no id)'} (rule ${alert.ruleId}).`,
    );
  }
  tally.dispatches += plan.firing.length;
  for (const r of reqs) {
    tally.reqs.push(r);
  }
}

/** Counts a rejected line (metrics, once kept), describes it in the summary (capped). */
function reject(tally: Tally, i: number, error: string): void {
  tally.invalid++;
  tally.effects.push(() => {
    recordRejection(
      'alert',
      /deeper/.test(error) ? 'too-deep' : /larger/.test(error) ? 'too-large' : 'invalid',
    );
  });
  tally.errors.push(`${tally.label(i)}: ${error}`);
  if (tally.rejected.length < MAX_REJECTED) {
    tally.rejected.push({ line: i + 1, error });
  }
}

type ParsedLine = ReturnType<typeof parseAlertLine> | undefined;

/** Plans every parsed line against the known agents (no side effect: see Tally.effects). */
function planLines(
  ctx: ManagerContext,
  parsed: readonly ParsedLine[],
  known: Known,
  label: (i: number) => string,
): Tally {
  const agents = known.agents;
  const tally: Tally = {
    dispatches: 0,
    unknown: 0,
    accepted: 0,
    invalid: 0,
    errors: [],
    rejected: [],
    reqs: [],
    known: known.ids,
    effects: [],
    label,
  };
  const debug = ctx.log.debugEnabled !== false;
  parsed.forEach((p, i) => {
    if (p === undefined) {
      return;
    }
    if (!p.ok) {
      reject(tally, i, p.error);
      return;
    }
    try {
      dispatchAlert(ctx, p.alert, agents, tally);
      tally.accepted++;
      if (debug) {
        const { id, ruleId } = p.alert;
        tally.effects.push(() => {
          ctx.log.debug('alert ingested', { alert: id, rule: ruleId });
        });
      }
    } catch (err) {
      tally.effects.push(() => {
        ctx.log.error(`${label(i)}: the alert could not be dispatched: ${String(err)}`);
      });
      reject(tally, i, 'the alert could not be dispatched (see the manager log)');
    }
  });
  return tally;
}

/**
 * Ingests a batch of lines. Each line stands alone: a bad line (not JSON, too deep, not an alert,
 * or one that could not be planned) is counted in `invalid` and reported in `rejected` with its
 * 1-based line number, and the other lines are still ingested. The orders of the whole batch and
 * `checkpoint` then commit in one transaction; a store failure throws, with nothing of the batch
 * committed (the tailer then offers the lines again, one by one).
 */
export async function ingestAlerts(
  ctx: ManagerContext,
  lines: readonly string[],
  checkpoint?: IngestCheckpoint,
): Promise<IngestSummary> {
  const parsed = lines.map((line) => (line.trim() === '' ? undefined : parseAlertLine(line)));
  const read = await presence(ctx, false);
  const label = checkpoint?.lineLabel ?? bodyLine;
  let tally = planLines(ctx, parsed, knownOf(ctx, read.rows), label);
  if (read.reused && tally.unknown > 0) {
    // A target missing from a reused read may have been enrolled since: plan on a fresh read.
    tally = planLines(ctx, parsed, knownOf(ctx, (await presence(ctx, true)).rows), label);
  }
  const { reqs, accepted, invalid, dispatches, rejected, effects } = tally;
  const errors = tally.errors.slice(0, MAX_ERRORS);
  const received = parsed.reduce((n, p) => (p === undefined ? n : n + 1), 0);
  // Nothing from here on refers to the parsed alerts (~500 object trees per POST): they are garbage
  // while the orders commit instead of being copied by the young-generation collections meanwhile.
  const orders = await queueOrders(
    ctx,
    reqs,
    checkpoint === undefined ? undefined : (tx) => tx.setSetting(checkpoint.key, checkpoint.value),
  );
  // Logged and counted once the batch has committed: a batch whose commit fails is offered again
  // line by line, and its lines are then reported once, by that pass.
  for (const effect of effects) {
    effect();
  }
  emitFired(ctx, orders);
  if (accepted > 0) {
    ctx.emit({ type: 'alert-ingested', count: accepted });
  }
  for (const e of errors) {
    ctx.log.warn(e);
  }
  return { received, accepted, invalid, dispatches, orders: orders.length, errors, rejected };
}

/** One `response-fired` event per AR command of the batch, counting its orders (not one per order). */
function emitFired(ctx: ManagerContext, orders: readonly StoredOrder[]): void {
  const counts = new Map<string, number>();
  for (const o of orders) {
    const command = o.arName ?? '';
    counts.set(command, (counts.get(command) ?? 0) + 1);
  }
  for (const [command, count] of counts) {
    ctx.emit({ type: 'response-fired', command, count });
  }
}
