/**
 * `GET /active-responses?agent=&command=&ip=`: the fleet's active responses as last reported by
 * the agents. `DELETE /active-responses/:key?agent=`: revert now, on one agent or on every agent
 * where the key is active; answers 202 with the revert orders queued (delivery is asynchronous;
 * follow them with `GET /orders` or `GET /executions`) and no executions (RevertAnswer: a bare
 * agent answers the same shape with the delete it ran).
 */
import type { FastifyInstance } from 'fastify';
import type { ActiveFilter, RevertAnswer } from '../../protocol/fleet-records.js';
import { parseIp } from '../../core/net/ip.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { ACTIVE_KEY, AGENT_ID, strictObject } from '../schemas.js';

interface ListQuery {
  agent?: string;
  command?: string;
  ip?: string;
}

const listSchema = {
  querystring: strictObject({
    agent: AGENT_ID,
    command: { type: 'string', minLength: 1, maxLength: 255 },
    ip: { type: 'string', minLength: 2, maxLength: 64 },
  }),
};

const deleteSchema = {
  params: strictObject({ key: ACTIVE_KEY }, ['key']),
  querystring: strictObject({ agent: AGENT_ID }),
};

/** The service filter for a validated query. @throws RiposteError REQUEST_INVALID for a bad ip. */
export function toActiveFilter(q: ListQuery): ActiveFilter {
  if (q.ip !== undefined && !parseIp(q.ip)) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `Cannot filter by ip "${q.ip}": not an IP address`);
  }
  return {
    ...(q.agent === undefined ? {} : { agentId: q.agent }),
    ...(q.command === undefined ? {} : { command: q.command }),
    ...(q.ip === undefined ? {} : { ip: q.ip }),
  };
}

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.get<{ Querystring: ListQuery }>(
    '/active-responses',
    { schema: listSchema, config: { access: 'read' } },
    async (request) => {
      const items = deps.service.listActive(toActiveFilter(request.query));
      return { items, total: items.length };
    },
  );
  app.delete<{ Params: { key: string }; Querystring: { agent?: string } }>(
    '/active-responses/:key',
    { schema: deleteSchema, config: { access: 'operator' } },
    async (request, reply) => {
      const answer: RevertAnswer = {
        orders: deps.service.revert(request.params.key, request.query.agent),
        executions: [],
      };
      return reply.code(202).send(answer);
    },
  );
}
