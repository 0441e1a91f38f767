/**
 * Something to watch (issue #9 item 4):
 *
 *   GET /healthz  public: 200 `{"status":"ok"}` while the process answers (liveness).
 *   GET /readyz   public: 200 `{"status":"ready"}` when the store answers and the disk is not full;
 *                 503 `{"status":"not ready","reason":...}` otherwise (readiness).
 *   GET /status   role read: what `riposte status` prints: the daemon (pid, start time, version),
 *                 agents (connected, by status), active responses, orders by state, the disk, and
 *                 the last failed executions (newest first, over the whole history).
 *
 * Field names in camelCase and times in ISO-8601, like every answer. Neither public route says anything an unauthenticated caller could use.
 */
import type { FastifyInstance } from 'fastify';
import type { FleetExecution } from '../../protocol/fleet-records.js';
import { storageHealth } from '../../log/storage-health.js';
import type { ManagerApiDeps } from '../api-deps.js';

/**
 * How many failed executions `GET /status` lists: the most recent ones over the whole history
 * (the store's `recentFailures`), however many successes came after them.
 */
export const LAST_ERRORS = 5;

const VERSION = '0.1.0';

export interface DaemonStatus {
  readonly daemon: {
    readonly pid: number;
    /** Epoch ms (ISO on the wire, like every time: api-serializer.ts). */
    readonly startedAt: number;
    readonly version: string;
    readonly node: string;
  };
  readonly agents: {
    readonly total: number;
    readonly connected: number;
    readonly byStatus: Readonly<Record<string, number>>;
  };
  readonly activeResponses: number;
  readonly orders: Readonly<Record<string, number>>;
  /** `fullSince`: when the disk became full (already ISO, from the storage health). */
  readonly disk: { readonly full: boolean; readonly fullSince: string | null };
  readonly lastErrors: readonly FleetExecution[];
}

async function statusOf(deps: ManagerApiDeps): Promise<DaemonStatus> {
  const stats = await deps.service.stats();
  const disk = storageHealth.snapshot();
  const failed = await deps.service.recentFailures(LAST_ERRORS);
  const byStatus: Record<string, number> = { ...stats.agentsByStatus };
  return {
    daemon: {
      pid: process.pid,
      startedAt: Math.round(Date.now() - process.uptime() * 1000),
      version: VERSION,
      node: process.version,
    },
    agents: {
      total: Object.values(byStatus).reduce((a, b) => a + b, 0),
      connected: stats.connectedAgents,
      byStatus,
    },
    activeResponses: stats.activeResponses,
    orders: { ...stats.ordersByState },
    disk: { full: disk.diskFull, fullSince: disk.since ?? null },
    lastErrors: failed,
  };
}

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.get('/healthz', { config: { access: 'public', ownLimit: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { access: 'public' } }, async (_request, reply) => {
    try {
      await deps.service.stats();
    } catch {
      return reply.code(503).send({ status: 'not ready', reason: 'the store does not answer' });
    }
    if (storageHealth.snapshot().diskFull) {
      return reply.code(503).send({ status: 'not ready', reason: 'disk full' });
    }
    return { status: 'ready' };
  });
  app.get('/status', { config: { access: 'read' } }, async () => statusOf(deps));
}
