/**
 * Alert ingestion on the manager (analysisd's AR step, reference §1.8): parse each alerts.json line,
 * plan it (the one pure planner), and queue one durable order per target agent. A target that is
 * not enrolled (or removed) is reported in the summary, like remoted's (1320) "Agent not found".
 *
 * A batch is one store transaction: every order of every line, plus (for the alerts.json tailer)
 * the file position just after the batch, commit together, and only then are the orders sent. A
 * crash before the commit loses nothing (the lines are read again); after it, none is read twice.
 */
import { planAlert } from '../core/match/plan-responses.js';
import type { KnownAgent } from '../core/match/decision.js';
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
 * Enrolled, not removed agents (and the local agent 000). `active` = connected now, or seen within
 * the disconnection time (Wazuh's `connection_status = active`), see ManagerContext.
 */
export async function knownAgents(ctx: ManagerContext): Promise<KnownAgent[]> {
  const present = await ctx.store.agentPresence();
  const out: KnownAgent[] = [{ id: LOCAL_AGENT_ID, active: ctx.sessions.isConnected(LOCAL_AGENT_ID) }];
  const since = ctx.now() - ctx.disconnectionTimeMs;
  for (const a of present) {
    const recent = a.lastSeen !== undefined && a.lastSeen >= since;
    out.push({ id: a.id, active: ctx.sessions.isConnected(a.id) || recent });
  }
  return out;
}

interface Tally {
  dispatches: number;
  errors: string[];
  readonly reqs: OrderRequest[];
  /** The ids of `agents`, built once per batch (not per alert: O(agents) each at 5,000 agents). */
  readonly known: ReadonlySet<string>;
}

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
  const reqs: OrderRequest[] = [];
  for (const d of plan.firing) {
    const payload = JSON.stringify(d.message);
    const arName = d.rule.arName;
    for (const agentId of d.targets) {
      if (!known.has(agentId)) {
        tally.errors.push(`(1320): Agent '${agentId}' not found (AR ${arName}).`);
        continue;
      }
      const alertId = alert.id;
      reqs.push({
        agentId,
        kind: 'add',
        source: 'alert',
        arName,
        payload,
        createdAt,
        ...(alertId !== undefined ? { alertId } : {}),
      });
    }
  }
  tally.dispatches += plan.firing.length;
  tally.reqs.push(...reqs);
}

/** Counts a rejected line (metrics), describes it in the summary (capped). */
function noteRejection(
  tally: Tally,
  rejected: { line: number; error: string }[],
  i: number,
  error: string,
): void {
  recordRejection(
    'alert',
    /deeper/.test(error) ? 'too-deep' : /larger/.test(error) ? 'too-large' : 'invalid',
  );
  tally.errors.push(`line ${i + 1}: ${error}`);
  if (rejected.length < MAX_REJECTED) {
    rejected.push({ line: i + 1, error });
  }
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
  const rejected: { line: number; error: string }[] = [];
  let accepted = 0;
  let invalid = 0;
  const agents = await knownAgents(ctx);
  const tally: Tally = { dispatches: 0, errors: [], reqs: [], known: new Set(agents.map((a) => a.id)) };
  const reject = (i: number, error: string): void => {
    invalid++;
    noteRejection(tally, rejected, i, error);
  };
  lines.forEach((line, i) => {
    if (line.trim() === '') {
      return;
    }
    const parsed = parseAlertLine(line);
    if (!parsed.ok) {
      reject(i, parsed.error);
      return;
    }
    try {
      dispatchAlert(ctx, parsed.alert, agents, tally);
      accepted++;
      ctx.log.debug('alert ingested', { alert: parsed.alert.id, rule: parsed.alert.ruleId });
    } catch (err) {
      ctx.log.error(`Alert on line ${i + 1} could not be dispatched: ${String(err)}`);
      reject(i, 'the alert could not be dispatched (see the manager log)');
    }
  });
  const orders = await queueOrders(
    ctx,
    tally.reqs,
    checkpoint === undefined ? undefined : (tx) => tx.setSetting(checkpoint.key, checkpoint.value),
  );
  for (const o of orders) {
    ctx.emit({ type: 'response-fired', command: o.arName ?? '', agentId: o.agentId });
  }
  if (accepted > 0) {
    ctx.emit({ type: 'alert-ingested', count: accepted });
  }
  for (const e of tally.errors.slice(0, MAX_ERRORS)) {
    ctx.log.warn(e);
  }
  return {
    received: lines.filter((l) => l.trim() !== '').length,
    accepted,
    invalid,
    dispatches: tally.dispatches,
    orders: orders.length,
    errors: tally.errors.slice(0, MAX_ERRORS),
    rejected,
  };
}
