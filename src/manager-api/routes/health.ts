/**
 * Something to watch (issue #9 item 4):
 *
 *   GET /healthz  public: 200 `{"status":"ok"}` while the process answers (liveness).
 *   GET /readyz   public: 200 `{"status":"ready"}` when the store answers and the disk is not full;
 *                 503 `{"status":"not ready","reason":...}` otherwise (readiness).
 *   GET /status   role read: what `riposte status` prints: the daemon (pid, start time, version),
 *                 agents (connected, by status), active responses, orders by state, the disk, and
 *                 the last failed executions (newest first).
 *
 * Times are ISO-8601. Neither public route says anything an unauthenticated caller could use.
 */
import type { FastifyInstance } from 'fastify';
import { executionView, type ExecutionView } from '../../api/routes/views.js';
import { storageHealth } from '../../log/storage-health.js';
import type { ManagerApiDeps } from '../api-deps.js';

/** How many failed executions `GET /status` lists. */
export const LAST_ERRORS = 5;
/** How far back in the history they are looked for. */
const ERRORS_SCAN = 200;

const VERSION = '0.1.0';

export interface DaemonStatus {
  readonly daemon: {
    readonly pid: number;
    readonly started_at: string;
    readonly version: string;
    readonly node: string;
  };
  readonly agents: {
    readonly total: number;
    readonly connected: number;
    readonly by_status: Readonly<Record<string, number>>;
  };
  readonly active_responses: number;
  readonly orders: Readonly<Record<string, number>>;
  readonly disk: { readonly full: boolean; readonly since: string | null };
  readonly last_errors: readonly ExecutionView[];
}

async function statusOf(deps: ManagerApiDeps): Promise<DaemonStatus> {
  const stats = await deps.service.stats();
  const disk = storageHealth.snapshot();
  const failed = (await deps.service.listExecutions({ limit: ERRORS_SCAN }))
    .filter((e) => e.status !== 'ok' && e.status !== 'running')
    .slice(0, LAST_ERRORS)
    .map(executionView);
  const byStatus: Record<string, number> = { ...stats.agentsByStatus };
  return {
    daemon: {
      pid: process.pid,
      started_at: new Date(Date.now() - process.uptime() * 1000).toISOString(),
      version: VERSION,
      node: process.version,
    },
    agents: {
      total: Object.values(byStatus).reduce((a, b) => a + b, 0),
      connected: stats.connectedAgents,
      by_status: byStatus,
    },
    active_responses: stats.activeResponses,
    orders: { ...stats.ordersByState },
    disk: { full: disk.diskFull, since: disk.since ?? null },
    last_errors: failed,
  };
}

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.get('/healthz', { config: { access: 'public' } }, async () => ({ status: 'ok' }));
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
