/**
 * The fleet's history: `GET /executions?agent=&limit=` (what agents reported running) and
 * `GET /orders?agent=&state=&limit=` (what the manager dispatched and where each order stands).
 * Both most recent first.
 */
import type { FastifyInstance } from 'fastify';
import { ORDER_STATES, type OrderState } from '../../protocol/fleet-records.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { AGENT_ID, LIMIT, limitOf, strictObject } from '../schemas.js';

interface HistoryQuery {
  agent?: string;
  limit?: string;
}

const executionsSchema = { querystring: strictObject({ agent: AGENT_ID, limit: LIMIT }) };
const ordersSchema = {
  querystring: strictObject({ agent: AGENT_ID, state: { type: 'string', enum: ORDER_STATES }, limit: LIMIT }),
};

const byAgent = (agent: string | undefined): { agentId?: string } =>
  agent === undefined ? {} : { agentId: agent };

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.get<{ Querystring: HistoryQuery }>(
    '/executions',
    { schema: executionsSchema, config: { access: 'read' } },
    async (request) => {
      const items = deps.service.listExecutions({
        ...byAgent(request.query.agent),
        limit: limitOf(request.query.limit),
      });
      return { items, total: items.length };
    },
  );
  app.get<{ Querystring: HistoryQuery & { state?: OrderState } }>(
    '/orders',
    { schema: ordersSchema, config: { access: 'read' } },
    async (request) => {
      const { agent, state, limit } = request.query;
      const items = deps.service.listOrders({
        ...byAgent(agent),
        ...(state === undefined ? {} : { state }),
        limit: limitOf(limit),
      });
      return { items, total: items.length };
    },
  );
}
