/**
 * The fleet's history: `GET /executions?agent=&limit=&cursor=` (what agents reported running; also
 * `command`, `status`, `key`, `alert`, `since`, `until` filters, applied by the store over the
 * whole history, one cursor page at a time: `nextCursor` is set while more may follow; and
 * `format=csv|ndjson` downloads of every match, up to EXPORT_MAX rows, streamed a page at a time,
 * two at once at most: execution-export-stream.ts) and
 * `GET /orders?agent=&state=&limit=` (what the manager dispatched and where each order stands).
 * Both most recent first.
 */
import type { FastifyInstance } from 'fastify';
import { ORDER_STATES, type OrderState } from '../../protocol/fleet-records.js';
import { EXECUTION_STATUSES } from '../../protocol/execution-records.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { AGENT_ID, ID_CURSOR, LIMIT, limitOf, strictObject } from '../schemas.js';
import { storeQuery, type ExecutionQuery } from '../execution-export.js';
import { EXPORT_MAX, exportGate, sendExport, type ReadPage } from '../execution-export-stream.js';

const TEXT = { type: 'string', minLength: 1, maxLength: 512 } as const;
const TIME = { type: 'string', minLength: 1, maxLength: 40 } as const;

interface HistoryQuery {
  agent?: string;
  limit?: string;
}

/** The filters of `GET /executions` (storeQuery), on a manager's API and on a bare agent's. */
export const EXECUTION_FILTERS = {
  command: TEXT,
  status: { type: 'string', enum: EXECUTION_STATUSES },
  key: TEXT,
  alert: TEXT,
  since: TIME,
  until: TIME,
} as const;

const executionsSchema = {
  querystring: strictObject({
    agent: AGENT_ID,
    limit: LIMIT,
    ...EXECUTION_FILTERS,
    cursor: ID_CURSOR,
    format: { type: 'string', enum: ['json', 'csv', 'ndjson'] },
  }),
};

type ExecutionsQuery = HistoryQuery &
  ExecutionQuery & { cursor?: string; format?: 'json' | 'csv' | 'ndjson' };

const ordersSchema = {
  querystring: strictObject({ agent: AGENT_ID, state: { type: 'string', enum: ORDER_STATES }, limit: LIMIT }),
};

const byAgent = (agent: string | undefined): { agentId?: string } =>
  agent === undefined ? {} : { agentId: agent };

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  const exports = exportGate();
  // Looked up at each page, not bound once: the service's method is what answers now.
  const read: ReadPage = (sq) => deps.service.queryExecutions(sq);
  app.get<{ Querystring: ExecutionsQuery }>(
    '/executions',
    { schema: executionsSchema, config: { access: 'read' } },
    async (request, reply) => {
      const q = request.query;
      const query = {
        ...storeQuery(q),
        ...byAgent(q.agent),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      };
      if (q.format === 'csv' || q.format === 'ndjson') {
        const max = q.limit === undefined ? EXPORT_MAX : limitOf(q.limit);
        return sendExport(reply, { read, query, max, format: q.format }, exports);
      }
      const page = await deps.service.queryExecutions({ ...query, limit: limitOf(q.limit) });
      const { items } = page;
      return {
        items,
        total: items.length,
        ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
      };
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
