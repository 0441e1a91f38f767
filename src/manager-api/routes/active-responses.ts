/**
 * `GET /active-responses?agent=&command=&ip=`: the fleet's active responses as last reported by
 * the agents, always one page (active-page.ts): filtered, sorted and cut by a keyset cursor
 * (`nextCursor`), read from the in-memory index (read-models.ts), so the console pages fast through
 * 100,000 rows. Without `limit` a page holds at most {@link UNPAGED_LIMIT} rows (issue 13: no list
 * answers everything at once); a client that wants them all follows `nextCursor` (`riposte ar list`
 * does).
 *
 * `DELETE /active-responses/:key?agent=`: revert now, on one agent or on every agent where the key
 * is active; answers 202 with the revert orders queued (delivery is asynchronous; follow them with
 * `GET /orders` or `GET /executions`) and no executions (RevertAnswer: a bare agent's local API
 * answers the same shape with the delete it ran).
 */
import type { FastifyInstance } from 'fastify';
import type { ActiveFilter, RevertAnswer } from '../../protocol/fleet-records.js';
import { parseIp } from '../../core/net/ip.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { ACTIVE_SORTS, activePage, type ActiveSort } from '../active-page.js';
import type { ManagerApiDeps } from '../api-deps.js';
import type { ReadModels } from '../read-models.js';
import { ACTIVE_KEY, AGENT_ID, LIMIT, limitOf, PAGE_CURSOR, strictObject } from '../schemas.js';

interface ListQuery {
  agent?: string;
  command?: string;
  ip?: string;
  user?: string;
  limit?: string;
  cursor?: string;
  sort?: ActiveSort;
  order?: 'asc' | 'desc';
}

const listSchema = {
  querystring: strictObject({
    agent: AGENT_ID,
    command: { type: 'string', minLength: 1, maxLength: 255 },
    ip: { type: 'string', minLength: 2, maxLength: 64 },
    user: { type: 'string', minLength: 1, maxLength: 255 },
    limit: LIMIT,
    cursor: PAGE_CURSOR,
    sort: { type: 'string', enum: ACTIVE_SORTS },
    order: { type: 'string', enum: ['asc', 'desc'] },
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

/** Rows in a page asked for without `limit`: the hard cap of every list (schemas.ts LIMIT). */
export const UNPAGED_LIMIT = 1000;

export function register(app: FastifyInstance, deps: ManagerApiDeps, views: ReadModels): void {
  app.get<{ Querystring: ListQuery }>(
    '/active-responses',
    { schema: listSchema, config: { access: 'read' } },
    async (request) => {
      const q = request.query;
      const sort = q.sort ?? 'since';
      return activePage((await views.active()).sortedBy(sort), {
        agent: q.agent,
        command: q.command,
        ip: q.ip,
        user: q.user,
        sort,
        desc: (q.order ?? 'desc') === 'desc',
        limit: q.limit === undefined ? UNPAGED_LIMIT : limitOf(q.limit),
        cursor: q.cursor,
      });
    },
  );
  app.delete<{ Params: { key: string }; Querystring: { agent?: string } }>(
    '/active-responses/:key',
    { schema: deleteSchema, config: { access: 'operator' } },
    async (request, reply) => {
      const answer: RevertAnswer = {
        orders: await deps.service.revert(request.params.key, request.query.agent),
        executions: [],
      };
      return reply.code(202).send(answer);
    },
  );
}
