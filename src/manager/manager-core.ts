/**
 * The ManagerService implementation: thin glue over the manager context, the order delivery, the
 * link handler and enrollment. Read models (agents, active responses, executions, orders, stats)
 * come straight from the store plus the live sessions.
 */
import { matchesActive } from '../core/execd/active-filter.js';
import { ORDER_STATES } from '../protocol/fleet-records.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { LinkClose } from '../protocol/link.js';
import type { AgentRecord } from '../core/orders/manager-store.js';
import type { Enrollment } from './enrollment.js';
import { forgetPresence, ingestAlerts, knownAgents } from './ingest-alerts.js';
import { planAlert } from '../core/match/plan-responses.js';
import { parseAlertLine } from '../protocol/alert.js';
import { LOCAL_AGENT_ID, type ManagerContext } from './manager-context.js';
import type { AgentInfo, AgentStatus, OrderInfo } from '../protocol/fleet-records.js';
import type { LinkBacklog, ManagerEventListener, ManagerService, ManagerStats } from './manager-service.js';
import { queueOrders } from './order-delivery.js';
import { runCommand } from './run-command.js';
import { orderInfo } from '../core/orders/manager-store.js';
import { consoleService } from './console-queries.js';
import { UNNAMED_NODE } from '../core/config-model.js';

const MAX_LIMIT = 1000;

function statusOf(ctx: ManagerContext, a: AgentRecord): AgentStatus {
  if (a.removedAt !== undefined) {
    return 'removed';
  }
  if (ctx.sessions.isConnected(a.id) || ctx.cluster?.connectedElsewhere(a, ctx.now()) === true) {
    return 'active';
  }
  return a.lastSeen === undefined ? 'never_connected' : 'disconnected';
}

function toInfo(ctx: ManagerContext, a: AgentRecord): AgentInfo {
  return {
    id: a.id,
    name: a.name,
    status: statusOf(ctx, a),
    lastSeen: a.lastSeen,
    version: a.version,
    address: a.address,
    registeredAt: a.registeredAt,
    arDisabled: a.arDisabled,
  };
}

function localAgentInfo(ctx: ManagerContext, startedAt: number): AgentInfo {
  const up = ctx.sessions.isConnected(LOCAL_AGENT_ID);
  return {
    id: LOCAL_AGENT_ID,
    name: ctx.config.nodeName === UNNAMED_NODE ? 'manager' : ctx.config.nodeName,
    status: up ? 'active' : 'disconnected',
    lastSeen: up ? ctx.now() : undefined,
    version: undefined,
    address: 'local',
    registeredAt: startedAt,
    arDisabled: ctx.config.agent.disabled,
  };
}

function limitOf(limit: number | undefined): number {
  return Math.min(Math.max(1, Math.trunc(limit ?? 100)), MAX_LIMIT);
}

export interface ManagerCoreParts {
  readonly ctx: ManagerContext;
  /** Undefined on a single host (`riposte start`): no agent enrolls there. */
  readonly enrollment: Enrollment | undefined;
  readonly listeners: Set<ManagerEventListener>;
  readonly startedAt: number;
  /** This node's link backlog (ManagerLinkHandler.backlog); none when no link runs here. */
  readonly linkBacklog?: () => LinkBacklog;
}

/** Marks the agent removed, closes its link; this node's next ingest no longer targets it. */
async function removeAgent(ctx: ManagerContext, id: string): Promise<void> {
  const a = id === LOCAL_AGENT_ID ? undefined : await ctx.store.getAgent(id);
  if (a === undefined) {
    throw new RiposteError(ErrorCode.AGENT_NOT_FOUND, `Agent "${id}" does not exist`);
  }
  await ctx.store.markAgentRemoved(id, ctx.now());
  forgetPresence(ctx);
  ctx.sessions.close(id, LinkClose.FORBIDDEN, 'agent removed');
  ctx.log.info(`Agent ${id} ("${a.name}") removed.`);
}

/** Builds the service. `parts.listeners` receives every event `ctx.emit` publishes. */
export function createManagerService(parts: ManagerCoreParts): ManagerService {
  const { ctx, enrollment, listeners } = parts;
  const getAgent = async (id: string): Promise<AgentInfo> => {
    if (id === LOCAL_AGENT_ID) {
      return localAgentInfo(ctx, parts.startedAt);
    }
    const a = await ctx.store.getAgent(id);
    if (a === undefined) {
      throw new RiposteError(ErrorCode.AGENT_NOT_FOUND, `Agent "${id}" does not exist`);
    }
    return toInfo(ctx, a);
  };
  const listAgents = async (): Promise<AgentInfo[]> => [
    localAgentInfo(ctx, parts.startedAt),
    ...(await ctx.store.listAgents()).map((a) => toInfo(ctx, a)),
  ];
  return {
    ingestAlerts: (lines, checkpoint) => ingestAlerts(ctx, lines, checkpoint),
    listAgents,
    getAgent,
    addEnrollmentToken: async (name, ttlMs) => enrolling(enrollment).addToken(name, ttlMs),
    enroll: async (req, peer) => enrolling(enrollment).enroll(req, peer),
    removeAgent: (id) => removeAgent(ctx, id),
    listActive: async (f) => (await ctx.store.listActive(f.agentId)).filter((a) => matchesActive(a, f)),
    revert: (key, agentId) => revertKey(ctx, key, agentId),
    run: (req) => runCommand(ctx, req),
    listExecutions: (f) =>
      ctx.store.listExecutions({
        ...(f.agentId !== undefined ? { agentId: f.agentId } : {}),
        limit: limitOf(f.limit),
      }),
    listOrders: (f) => ctx.store.listOrders({ ...f, limit: limitOf(f.limit) }),
    stats: async () => ({
      ...(await statsOf(ctx, await listAgents())),
      linkBacklog: parts.linkBacklog?.() ?? NO_BACKLOG,
      ...clusterStats(ctx),
    }),
    async explain(line) {
      const parsed = parseAlertLine(line);
      if (!parsed.ok) {
        throw new RiposteError(ErrorCode.ALERT_INVALID, `Cannot explain: ${parsed.error}`);
      }
      const plan = planAlert(parsed.alert, ctx.config, {
        agents: await knownAgents(ctx),
        singleHost: ctx.singleHost,
      });
      return { alert: parsed.alert, decisions: plan.decisions };
    },
    config: () => ctx.config,
    ...consoleService(ctx),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function enrolling(enrollment: Enrollment | undefined): Enrollment {
  if (enrollment === undefined) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      'This is a single host (`riposte start`): agents enroll with `riposte manager`',
    );
  }
  return enrollment;
}

async function revertKey(
  ctx: ManagerContext,
  key: string,
  agentId: string | undefined,
): Promise<OrderInfo[]> {
  if (
    agentId !== undefined &&
    agentId !== LOCAL_AGENT_ID &&
    (await ctx.store.getAgent(agentId)) === undefined
  ) {
    throw new RiposteError(ErrorCode.AGENT_NOT_FOUND, `Agent "${agentId}" does not exist`);
  }
  const targets = (await ctx.store.listActive(agentId)).filter((a) => a.key === key);
  if (targets.length === 0) {
    const where = agentId === undefined ? 'on any agent' : `on agent "${agentId}"`;
    throw new RiposteError(ErrorCode.RESPONSE_NOT_FOUND, `No active response "${key}" ${where}`);
  }
  const reqs = targets.map((a) => ({
    agentId: a.agentId,
    kind: 'revert' as const,
    source: 'revert' as const,
    key,
    payload: key,
  }));
  return (await queueOrders(ctx, reqs)).map(orderInfo);
}

const NO_BACKLOG: LinkBacklog = { frames: 0, bytes: 0, pausedAgents: 0, pauses: 0 };

/** A cluster node's order bus traffic and clock, for the stats (neither on a single manager). */
function clusterStats(ctx: ManagerContext): Pick<ManagerStats, 'bus' | 'clock'> {
  const bus = ctx.cluster?.busTraffic();
  const clock = ctx.cluster?.clock();
  return { ...(bus !== undefined ? { bus } : {}), ...(clock !== undefined ? { clock } : {}) };
}

async function statsOf(
  ctx: ManagerContext,
  agents: readonly AgentInfo[],
): Promise<Omit<ManagerStats, 'linkBacklog'>> {
  const agentsByStatus: Record<AgentStatus, number> = {
    active: 0,
    disconnected: 0,
    never_connected: 0,
    removed: 0,
  };
  for (const a of agents) {
    agentsByStatus[a.status]++;
  }
  const ordersByState = await ctx.store.countOrdersByState();
  for (const s of ORDER_STATES) {
    ordersByState[s] = ordersByState[s] ?? 0;
  }
  return {
    agentsByStatus,
    ordersByState,
    activeResponses: await ctx.store.countActive(),
    connectedAgents: ctx.sessions.size,
  };
}
