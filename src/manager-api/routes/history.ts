/**
 * The fleet's history: `GET /executions?agent=&limit=` (what agents reported running; also
 * `command`, `status`, `key`, `alert`, `since`, `until` filters and `format=csv|ndjson` downloads,
 * see execution-export.ts) and
 * `GET /orders?agent=&state=&limit=` (what the manager dispatched and where each order stands).
 * Both most recent first.
 */
import type { FastifyInstance } from 'fastify';
import { ORDER_STATES, type OrderState } from '../../protocol/fleet-records.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { AGENT_ID, LIMIT, limitOf, strictObject } from '../schemas.js';
import { executionPredicate, toCsv, toNdjson, type ExecutionQuery } from '../execution-export.js';

/** Executions read from the service when a filter is given (its page-size cap). */
const FILTER_WINDOW = 1000;
const TEXT = { type: 'string', minLength: 1, maxLength: 512 } as const;
const TIME = { type: 'string', minLength: 1, maxLength: 40 } as const;

interface HistoryQuery {
  agent?: string;
  limit?: string;
}

const executionsSchema = {
  querystring: strictObject({
    agent: AGENT_ID,
    limit: LIMIT,
    command: TEXT,
    status: { type: 'string', enum: ['ok', 'failed', 'timed-out', 'spawn-error', 'running'] },
    key: TEXT,
    alert: TEXT,
    since: TIME,
    until: TIME,
    format: { type: 'string', enum: ['json', 'csv', 'ndjson'] },
  }),
};

type ExecutionsQuery = HistoryQuery & ExecutionQuery & { format?: 'json' | 'csv' | 'ndjson' };

const isFiltered = (q: ExecutionsQuery): boolean =>
  [q.command, q.status, q.key, q.alert, q.since, q.until].some((v) => v !== undefined);
const ordersSchema = {
  querystring: strictObject({ agent: AGENT_ID, state: { type: 'string', enum: ORDER_STATES }, limit: LIMIT }),
};

const byAgent = (agent: string | undefined): { agentId?: string } =>
  agent === undefined ? {} : { agentId: agent };

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.get<{ Querystring: ExecutionsQuery }>(
    '/executions',
    { schema: executionsSchema, config: { access: 'read' } },
    async (request, reply) => {
      const q = request.query;
      const limit = limitOf(q.limit);
      const keep = executionPredicate(q);
      const read = await deps.service.listExecutions({
        ...byAgent(q.agent),
        limit: isFiltered(q) ? FILTER_WINDOW : limit,
      });
      const items = read.filter(keep).slice(0, limit);
      if (q.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="executions.csv"')
          .send(toCsv(items));
      }
      if (q.format === 'ndjson') {
        return reply
          .type('application/x-ndjson')
          .header('content-disposition', 'attachment; filename="executions.ndjson"')
          .send(toNdjson(items));
      }
      return { items, total: items.length };
    },
  );
  app.get<{ Querystring: HistoryQuery & { state?: OrderState } }>(
    '/orders',
    { schema: ordersSchema, config: { access: 'read' } },
    async (request) => {
      const { agent, state, limit } = request.query;
      const items = await deps.service.listOrders({
        ...byAgent(agent),
        ...(state === undefined ? {} : { state }),
        limit: limitOf(limit),
      });
      return { items, total: items.length };
    },
  );
}
