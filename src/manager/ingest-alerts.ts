/**
 * Alert ingestion on the manager (analysisd's AR step, reference §1.8): parse each alerts.json line,
 * plan it (the one pure planner), and queue one durable order per target agent. A target that is
 * not enrolled (or removed) is reported in the summary, like remoted's (1320) "Agent not found".
 *
 * A batch is one store transaction: every order of every line, plus (for the alerts.json tailer)
 * the file position just after the batch, commit together. A crash before the commit loses
 * nothing (the lines are read again); after it, nothing is read twice.
 */
import { planAlert } from '../core/match/plan-responses.js';
import type { KnownAgent } from '../core/match/decision.js';
import { parseAlertLine, type AlertView } from '../protocol/alert.js';
import { LOCAL_AGENT_ID, type ManagerContext } from './manager-context.js';
import type { IngestCheckpoint, IngestSummary } from './manager-service.js';
import { queueOrders, type OrderRequest } from './order-delivery.js';

/** At most this many error strings per summary. */
const MAX_ERRORS = 20;

/**
 * Enrolled, not removed agents (and the local agent 000). `active` = connected now, or seen within
 * the disconnection time (Wazuh's `connection_status = active`), see ManagerContext.
 */
export function knownAgents(ctx: ManagerContext): KnownAgent[] {
  const out: KnownAgent[] = [{ id: LOCAL_AGENT_ID, active: ctx.sessions.isConnected(LOCAL_AGENT_ID) }];
  const since = ctx.now() - ctx.disconnectionTimeMs;
  for (const a of ctx.store.listAgents()) {
    if (a.removedAt === undefined) {
      const recent = a.lastSeen !== undefined && a.lastSeen >= since;
      out.push({ id: a.id, active: ctx.sessions.isConnected(a.id) || recent });
    }
  }
  return out;
}

interface Tally {
  dispatches: number;
  errors: string[];
  readonly reqs: OrderRequest[];
}

function dispatchAlert(
  ctx: ManagerContext,
  alert: AlertView,
  agents: readonly KnownAgent[],
  tally: Tally,
): void {
  const known = new Set(agents.map((a) => a.id));
  const createdAt = ctx.now();
  const plan = planAlert(alert, ctx.config, { agents, singleHost: ctx.singleHost });
  for (const d of plan.firing) {
    tally.dispatches++;
    const payload = JSON.stringify(d.message);
    const arName = d.rule.arName;
    for (const agentId of d.targets) {
      if (!known.has(agentId)) {
        tally.errors.push(`(1320): Agent '${agentId}' not found (AR ${arName}).`);
        continue;
      }
      ctx.emit({ type: 'response-fired', command: arName, agentId });
      tally.reqs.push({
        agentId,
        kind: 'add',
        source: 'alert',
        arName,
        payload,
        createdAt,
        ...(alert.id !== undefined ? { alertId: alert.id } : {}),
      });
    }
  }
}

/**
 * Ingests a batch of lines; never throws for a bad line (counted and described). The orders of the
 * whole batch and `checkpoint` commit in one transaction, then the orders are sent.
 */
export function ingestAlerts(
  ctx: ManagerContext,
  lines: readonly string[],
  checkpoint?: IngestCheckpoint,
): IngestSummary {
  const tally: Tally = { dispatches: 0, errors: [], reqs: [] };
  let accepted = 0;
  let invalid = 0;
  const agents = knownAgents(ctx);
  for (const line of lines) {
    if (line.trim() === '') {
      continue;
    }
    const parsed = parseAlertLine(line);
    if (!parsed.ok) {
      invalid++;
      tally.errors.push(parsed.error);
      continue;
    }
    accepted++;
    ctx.log.debug('alert ingested', { alert: parsed.alert.id, rule: parsed.alert.ruleId });
    dispatchAlert(ctx, parsed.alert, agents, tally);
  }
  const orders = queueOrders(ctx, tally.reqs, () => {
    if (checkpoint !== undefined) {
      ctx.store.setSetting(checkpoint.key, checkpoint.value);
    }
  }).length;
  if (accepted > 0) {
    ctx.emit({ type: 'alert-ingested', count: accepted });
  }
  for (const e of tally.errors.slice(0, MAX_ERRORS)) {
    ctx.log.warn(e);
  }
  return {
    received: lines.length,
    accepted,
    invalid,
    dispatches: tally.dispatches,
    orders,
    errors: tally.errors.slice(0, MAX_ERRORS),
  };
}
