/**
 * The local API of a bare agent (`riposte agent`), on `<home>/var/api.sock` (and `--listen`): only
 * what is local to an agent, in the same shapes as the manager's REST API, so the CLI has one
 * client for both (see local/agent-verbs.ts). Built without listening: tests use `app.inject()`.
 * Every route needs the bearer token from `<home>/var/api.token`.
 *
 *   GET    /healthz, /readyz                         public (liveness, readiness)
 *   GET    /status
 *   GET    /active-responses?agent=&command=&ip=&limit=&cursor=
 *                                                    {items, total, nextCursor?}: newest first, at
 *                                                    most `limit` (default and cap 1000) a page
 *   DELETE /active-responses/:key?agent=            202 {orders: [], executions: [the delete]}
 *   PUT    /active-response?agents_list=            Wazuh's result (reference §6.2)
 *   GET    /executions?agent=&limit=&command=&status=&key=&alert=&since=&until=
 *                                                    {items, total}: newest first, the filters
 *                                                    as on the manager (execution-export.ts)
 *   GET    /executions/stream?agent=                 live feed (Server-Sent Events), as the manager's
 *
 * Times are ISO-8601 (manager-api/api-serializer.ts, as on the manager).
 * Errors go through the one mapper (manager-api/error-mapper.ts): an internal message never
 * reaches the client.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { DaemonLog } from '../log/daemon-log.js';
import type { AgentVerbs } from '../local/agent-verbs.js';
import { mapError } from '../manager-api/error-mapper.js';
import { installApiTimes } from '../manager-api/api-serializer.js';
import { activePage, sortRows } from '../manager-api/active-page.js';
import { toActiveFilter, UNPAGED_LIMIT } from '../manager-api/routes/active-responses.js';
import { registerExecutionStream } from '../manager-api/routes/execution-stream.js';
import { EXECUTION_FILTERS } from '../manager-api/routes/history.js';
import { storeQuery, type ExecutionQuery } from '../manager-api/execution-export.js';
import {
  toRunRequest,
  RUN_SCHEMA,
  type RunBody,
  type RunQuery,
} from '../manager-api/routes/wazuh-active-response.js';
import { ACTIVE_KEY, AGENT_ID, LIMIT, limitOf, PAGE_CURSOR, strictObject } from '../manager-api/schemas.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { bearerMatches } from './api-token.js';

export interface AgentApiOptions {
  readonly verbs: AgentVerbs;
  readonly token: string;
  readonly log: DaemonLog;
  /** @default 1 MiB */
  readonly bodyLimit?: number;
}

const listSchema = {
  querystring: strictObject({
    agent: AGENT_ID,
    command: { type: 'string', minLength: 1, maxLength: 255 },
    ip: { type: 'string', minLength: 2, maxLength: 64 },
    limit: LIMIT,
    cursor: PAGE_CURSOR,
  }),
};
const deleteSchema = {
  params: strictObject({ key: ACTIVE_KEY }, ['key']),
  querystring: strictObject({ agent: AGENT_ID }),
};
const executionsSchema = {
  querystring: strictObject({ agent: AGENT_ID, limit: LIMIT, ...EXECUTION_FILTERS }),
};

function registerRoutes(app: FastifyInstance, verbs: AgentVerbs): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      verbs.status();
    } catch {
      return reply.code(503).send({ status: 'not ready', reason: 'the store does not answer' });
    }
    return { status: 'ready' };
  });
  app.get('/status', async () => verbs.status());
  app.get<{
    Querystring: { agent?: string; command?: string; ip?: string; limit?: string; cursor?: string };
  }>('/active-responses', { schema: listSchema }, async (req) => {
    // Paged and filtered by address (or network) like the manager's list (the same cap, cursor
    // and `ip` semantics), from the store rows of the agent and command asked for.
    const { ip, ...q } = req.query;
    return activePage(sortRows(verbs.listActive(toActiveFilter(q)), 'since'), {
      ip,
      sort: 'since',
      desc: true,
      limit: q.limit === undefined ? UNPAGED_LIMIT : limitOf(q.limit),
      cursor: q.cursor,
    });
  });
  app.delete<{ Params: { key: string }; Querystring: { agent?: string } }>(
    '/active-responses/:key',
    { schema: deleteSchema },
    async (req, reply) => reply.code(202).send(await verbs.revert(req.params.key, req.query.agent)),
  );
  app.put<{ Body: RunBody; Querystring: RunQuery }>('/active-response', { schema: RUN_SCHEMA }, async (req) =>
    verbs.run(toRunRequest(req.body, req.query)),
  );
  app.get<{ Querystring: ExecutionQuery & { agent?: string; limit?: string } }>(
    '/executions',
    { schema: executionsSchema },
    async (req) => {
      const items = verbs.listExecutions({
        ...storeQuery(req.query),
        ...(req.query.agent === undefined ? {} : { agentId: req.query.agent }),
        limit: limitOf(req.query.limit),
      });
      return { items, total: items.length };
    },
  );
  registerExecutionStream(app, (listener) => verbs.onExecution(listener));
}

export function buildAgentApi(opts: AgentApiOptions): FastifyInstance {
  // removeAdditional off: `additionalProperties: false` then rejects unknown fields instead of
  // silently dropping them (fastify's default); no coercion, as in the manager's API.
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 600 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  app.removeContentTypeParser('text/plain');
  installApiTimes(app);
  app.addHook('onRequest', async (req) => {
    // Liveness and readiness are public, as on the manager's API (issue #9 item 4).
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
      return;
    }
    if (!bearerMatches(req.headers.authorization, opts.token)) {
      throw new RiposteError(
        ErrorCode.AUTH_REQUIRED,
        'Missing or wrong API token (see <home>/var/api.token)',
      );
    }
  });
  app.setErrorHandler(async (err, req, reply) => {
    const mapped = mapError(err, req.headers['content-type']);
    if (mapped.unexpected) {
      opts.log.error('API request failed', {
        method: req.method,
        url: req.url,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    return reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler(async (req, reply) =>
    reply.status(404).send({
      error: {
        code: ErrorCode.REQUEST_INVALID,
        message: `No route ${req.method} ${req.url.split('?', 1)[0] ?? ''}`,
      },
    }),
  );
  registerRoutes(app, opts.verbs);
  return app;
}
