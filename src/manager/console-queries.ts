/**
 * The manager service's reads and changes behind the web console (and the same REST features):
 * enrollment tokens listed (never the token) and removed, executions queried over the whole
 * history with cursor pages, executions per minute and outcome from the store (so the 24 h chart
 * survives a restart), and the alerts recent orders came from (an add order's AR message carries
 * the whole alert, so nothing else is stored for them).
 */
import type { EnrollTokenRecord, RecentAlert } from '../core/orders/manager-console-store.js';
import type { ManagerService } from './manager-service.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { INPUT_BOUNDS } from '../protocol/json-bounds.js';
import { isJsonObject, type JsonObject } from '../protocol/json.js';
import type { ManagerContext } from './manager-context.js';

/** Most recent alerts `recentAlerts` returns. */
export const MAX_RECENT_ALERTS = 50;
/** Orders read per alert asked for (one alert fans out to several rules and agents). */
const ORDERS_PER_ALERT = 8;

/** The alert inside an add order's AR message, or undefined when it holds none (or is too large). */
export function alertOfPayload(payload: string): JsonObject | undefined {
  if (payload.length > INPUT_BOUNDS.arMessage.maxBytes) {
    return undefined;
  }
  try {
    const msg: unknown = JSON.parse(payload);
    const parameters = isJsonObject(msg) ? msg['parameters'] : undefined;
    const alert = isJsonObject(parameters) ? parameters['alert'] : undefined;
    return isJsonObject(alert) ? alert : undefined;
  } catch {
    return undefined;
  }
}

/** Up to `limit` (capped at {@link MAX_RECENT_ALERTS}) distinct recent alerts, newest first. */
export async function recentAlerts(ctx: ManagerContext, limit: number): Promise<RecentAlert[]> {
  const n = Math.min(Math.max(1, Math.trunc(limit)), MAX_RECENT_ALERTS);
  const orders = await ctx.store.recentAlertOrders(n * ORDERS_PER_ALERT);
  const byAlert = new Map<string, { alert: RecentAlert; agents: Set<string> }>();
  for (const o of orders) {
    const alert = alertOfPayload(o.payload);
    if (alert === undefined) {
      continue;
    }
    const key = o.alertId ?? JSON.stringify(alert);
    const seen = byAlert.get(key);
    if (seen !== undefined) {
      seen.agents.add(o.agentId);
    } else if (byAlert.size < n) {
      const agents = new Set([o.agentId]);
      byAlert.set(key, { alert: { id: o.alertId, receivedAt: o.createdAt, agents: [], alert }, agents });
    }
  }
  return [...byAlert.values()].map(({ alert, agents }) => ({ ...alert, agents: [...agents].sort() }));
}

/** Removes enrollment token `id`. @throws RiposteError REQUEST_INVALID (no such token) */
export async function removeEnrollmentToken(ctx: ManagerContext, id: string): Promise<EnrollTokenRecord> {
  const token = (await ctx.store.listEnrollTokens()).find((t) => t.id === id);
  if (token === undefined || !(await ctx.store.removeEnrollToken(id))) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `Cannot remove enrollment token "${id}": no such token`,
    );
  }
  ctx.log.info(`Enrollment token ${id} for "${token.name}" removed.`);
  return token;
}

/** The service methods behind the console's views. */
export function consoleService(
  ctx: ManagerContext,
): Pick<
  ManagerService,
  | 'listEnrollmentTokens'
  | 'removeEnrollmentToken'
  | 'queryExecutions'
  | 'countExecutionsPerMinute'
  | 'recentAlerts'
  | 'recentFailures'
  | 'lastFailurePerAgent'
  | 'executionsAfter'
  | 'lastExecutionNumber'
> {
  return {
    listEnrollmentTokens: async () => ctx.store.listEnrollTokens(),
    removeEnrollmentToken: async (id) => removeEnrollmentToken(ctx, id),
    queryExecutions: async (q) => ctx.store.queryExecutions(q),
    countExecutionsPerMinute: async (since, until) => ctx.store.countExecutionsPerMinute(since, until),
    recentAlerts: async (limit) => recentAlerts(ctx, limit),
    recentFailures: async (limit) => ctx.store.recentFailures(limit),
    lastFailurePerAgent: async () => ctx.store.lastFailurePerAgent(),
    executionsAfter: async (after, also, limit) => ctx.store.executionsAfter(after, also, limit),
    lastExecutionNumber: async () => ctx.store.lastExecutionNumber(),
  };
}
