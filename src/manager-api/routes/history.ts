/**
 * The fleet's history: `GET /executions?agent=&limit=&cursor=` (what agents reported running; also
 * `command`, `status`, `key`, `alert`, `since`, `until` filters, applied by the store over the
 * whole history, one cursor page at a time: `nextCursor` is set while more may follow; and
 * `format=csv|ndjson` downloads of every match, up to EXPORT_MAX rows, see execution-export.ts) and
 * `GET /orders?agent=&state=&limit=` (what the manager dispatched and where each order stands).
 * Both most recent first.
 */
import type { FastifyInstance } from 'fastify';
import { ORDER_STATES, type OrderState } from '../../protocol/fleet-records.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { AGENT_ID, LIMIT, limitOf, strictObject } from '../schemas.js';
import { storeQuery, toCsv, toNdjson, type ExecutionQuery } from '../execution-export.js';
import type { FleetExecution } from '../../protocol/fleet-records.js';
import type { ExecutionQuery as StoreQuery } from '../../core/orders/manager-console-store.js';

/** Rows an export holds at most (it reads them a page of 1000 at a time). */
export const EXPORT_MAX = 100_000;
const EXPORT_PAGE = 1000;
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
    cursor: { type: 'string', pattern: '^[0-9]{1,15}$' },
    format: { type: 'string', enum: ['json', 'csv', 'ndjson'] },
  }),
};

type ExecutionsQuery = HistoryQuery &
  ExecutionQuery & { cursor?: string; format?: 'json' | 'csv' | 'ndjson' };

/** Every match of `q` (at most `max`), reading the store a page at a time. */
async function exportRows(deps: ManagerApiDeps, q: StoreQuery, max: number): Promise<FleetExecution[]> {
  const rows: FleetExecution[] = [];
  let cursor = q.cursor;
  do {
    const page = await deps.service.queryExecutions({
      ...q,
      limit: Math.min(EXPORT_PAGE, max - rows.length),
      ...(cursor === undefined ? {} : { cursor }),
    });
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && rows.length < max);
  return rows;
}
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
      const query = {
        ...storeQuery(q),
        ...byAgent(q.agent),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      };
      if (q.format === 'csv' || q.format === 'ndjson') {
        const max = q.limit === undefined ? EXPORT_MAX : limitOf(q.limit);
        const items = await exportRows(deps, { ...query, limit: max }, max);
        return q.format === 'csv'
          ? reply
              .type('text/csv; charset=utf-8')
              .header('content-disposition', 'attachment; filename="executions.csv"')
              .send(toCsv(items))
          : reply
              .type('application/x-ndjson')
              .header('content-disposition', 'attachment; filename="executions.ndjson"')
              .send(toNdjson(items));
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
