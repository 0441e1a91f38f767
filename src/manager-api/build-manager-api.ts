/**
 * Builds the manager's REST API as a fastify instance WITHOUT listening: tests drive it with
 * `app.inject()`, the runtime hands HTTPS requests to `app.routing` (see create-manager-api.ts).
 *
 * Cross-cutting rules, applied here once for every route:
 * - authentication and roles (auth.ts) before the body is even parsed;
 * - bodies up to 1 MiB (413 beyond), JSON only except `POST /alerts` (NDJSON too); text bodies
 *   are refused with 415; JSON nested deeper than 101 levels is a 400 before parsing;
 * - at most 32 reads (GET) at once, 503 + Retry-After beyond (read-limit.ts), before auth;
 * - JSON-schema validation of every body, query and path parameter; unknown fields are a 400;
 * - every error through error-mapper.ts; never a stack trace in a response;
 * - every time in an answer as ISO-8601 (api-serializer.ts; the records keep epoch ms);
 * - every state-changing request audited (audit-hook.ts), entries past their retention pruned
 *   (audit-pruner.ts).
 * Routes themselves only validate, call one service method and shape the answer.
 */
import fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { DaemonLog } from '../log/daemon-log.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ManagerApiDeps } from './api-deps.js';
import { installApiTimes } from './api-serializer.js';
import { installAudit } from './audit-hook.js';
import { AnonymousAuditLimit } from './anonymous-audit-limit.js';
import { createAuditPruner } from './audit-pruner.js';
import { installAuth } from './auth.js';
import { installJsonBodyParser } from './json-body-parser.js';
import { installReadLimit } from './read-limit.js';
import { mapError, type MappedError } from './error-mapper.js';
import { strictObject } from './schemas.js';
import { register as registerActiveResponses } from './routes/active-responses.js';
import { register as registerAgents } from './routes/agents.js';
import { register as registerAlerts } from './routes/alerts.js';
import { register as registerHistory } from './routes/history.js';
import { register as registerMeta } from './routes/meta.js';
import { register as registerTokens } from './routes/tokens.js';
import { register as registerWazuh } from './routes/wazuh-active-response.js';
import { ConsoleSessions } from './console-sessions.js';
import { installSecurityHeaders } from './security-headers.js';
import { register as registerConsoleAssets } from './routes/console-assets.js';
import { register as registerConsoleSession } from './routes/console-session.js';
import { register as registerExecutionStream } from './routes/execution-stream.js';
import { register as registerHealth } from './routes/health.js';
import { register as registerConsoleViews } from './routes/console-views.js';
import { createReadModels } from './read-models.js';

/** Largest accepted request body: 1 MiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** One registered route, as the OpenAPI parity test needs it. */
export interface RegisteredRoute {
  readonly method: string;
  /** fastify's path syntax, e.g. "/agents/:id". */
  readonly url: string;
}

const routesOf = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** The routes `app` registered (for the OpenAPI parity test). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return routesOf.get(app) ?? [];
}

const silentLog: DaemonLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  flush: () => undefined,
};

/**
 * Wazuh's API answers errors of `PUT /active-response` as RFC 7807 problems (`title`, `detail`);
 * Riposte adds them beside its own `error` object, so clients of either kind understand the body.
 */
function wazuhProblem(mapped: MappedError): Record<string, unknown> {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Permission Denied',
    413: 'Request Entity Too Large',
    415: 'Unsupported Media Type',
  };
  return { title: titles[mapped.status] ?? 'Error', detail: mapped.body.error.message, ...mapped.body };
}

function sendError(log: DaemonLog) {
  return async (
    err: FastifyError | Error,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> => {
    const mapped = mapError(err, request.headers['content-type']);
    if (mapped.unexpected) {
      log.error('API request failed', {
        method: request.method,
        url: request.url,
        error: err.stack ?? String(err),
      });
    }
    const body = request.routeOptions.url === '/active-response' ? wazuhProblem(mapped) : mapped.body;
    if (mapped.retryAfterSec !== undefined) {
      void reply.header('retry-after', String(mapped.retryAfterSec));
    }
    return reply.code(mapped.status).type('application/json; charset=utf-8').send(body);
  };
}

function createInstance(): FastifyInstance {
  return fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    exposeHeadRoutes: false,
    // Keys of active responses may be long (script name + IPv6 address + user names).
    routerOptions: { maxParamLength: 600 },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false },
    },
  });
}

/** The audit hook, with its pruner (when entries expire) and its limit on anonymous refusals. */
function installAuditTrail(app: FastifyInstance, deps: ManagerApiDeps, log: DaemonLog): void {
  const pruner =
    deps.auditRetention === undefined
      ? undefined
      : createAuditPruner(deps.audit, deps.auditRetention, {
          log,
          onPruned: (count) => {
            deps.metrics.auditPruned(count);
          },
          ...(deps.isLeader !== undefined ? { isLeader: deps.isLeader } : {}),
        });
  installAudit(app, deps.audit, {
    now: deps.now,
    log,
    anonymous: new AnonymousAuditLimit(deps.anonymousAuditLimits),
    onUnrecorded: () => {
      deps.metrics.auditUnrecorded();
    },
    ...(pruner !== undefined ? { pruner } : {}),
  });
  if (pruner !== undefined) {
    app.addHook('onClose', () => pruner.idle()); // the store closes after: no run left on it
  }
}

/** Builds the API (not listening). Call `await app.ready()` before `app.routing`. */
export function buildManagerApi(deps: ManagerApiDeps): FastifyInstance {
  const app = createInstance();
  const log = deps.log ?? silentLog;
  const routes: RegisteredRoute[] = [];
  routesOf.set(app, routes);
  app.addHook('onRoute', (route) => {
    // A route without query parameters still validates its query: an unknown one is a 400.
    route.schema = { ...route.schema, querystring: route.schema?.querystring ?? strictObject({}) };
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url });
    }
  });
  // JSON only: fastify's default text/plain parser would let a non-JSON body reach validation.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);
  installApiTimes(app);
  const sessions = new ConsoleSessions(deps.tokens);
  installSecurityHeaders(app);
  installReadLimit(app);
  installAuth(app, deps.tokens, deps.now, sessions);
  installAuditTrail(app, deps, log);
  app.setErrorHandler(sendError(log));
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({
      error: {
        code: ErrorCode.REQUEST_INVALID,
        message: `No route ${request.method} ${request.url.split('?', 1)[0] ?? ''}`,
      },
    }),
  );
  for (const register of [
    registerWazuh,
    registerHistory,
    registerAlerts,
    registerTokens,
    registerMeta,
    registerExecutionStream,
    registerHealth,
  ]) {
    register(app, deps);
  }
  const views = createReadModels(app, deps);
  registerActiveResponses(app, deps, views);
  registerAgents(app, deps, views);
  registerConsoleViews(app, deps, views);
  registerConsoleSession(app, deps, sessions);
  registerConsoleAssets(app);
  return app;
}
