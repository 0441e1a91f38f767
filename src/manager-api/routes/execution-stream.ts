/**
 * `GET /executions/stream?agent=`: the live feed of executions as agents report them, as
 * Server-Sent Events (`text/event-stream`). Each event is `event: execution` with the execution
 * (the shape of `GET /executions` items, ISO times) as `data`, and `id: <agentId>-<id>`. A comment line is sent
 * every {@link HEARTBEAT_MS} so proxies and clients can tell a quiet feed from a dead one.
 *
 * One endpoint for every client: the console's live pages and `riposte ar history --follow`, on the
 * manager's API ({@link register}) and on a bare agent's local API (api/build-agent-api.ts, through
 * {@link registerExecutionStream} with the agent's own executions).
 * A client that does not read (more than {@link MAX_BUFFERED_BYTES} waiting) is disconnected rather
 * than buffered without bound; at most {@link MAX_STREAMS} feeds are open at once (503 beyond).
 *
 * A feed outlives the authorization of its request, so on an API with tokens (auth.ts) it is
 * re-authorized before each heartbeat and ended when its token is revoked or expired, or its
 * console session signed out or idle too long (or when that cannot be checked: the client
 * reconnects and is authorized afresh). A route marked `config: { endsAccess: true }` (`DELETE /tokens/:id`,
 * `DELETE /session`) re-checks every open feed as soon as it succeeds, so a revocation through this
 * node ends its feeds at once; other nodes of a cluster end theirs at their next heartbeat.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FleetExecution } from '../../protocol/fleet-records.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { AGENT_ID, strictObject } from '../schemas.js';
import { toApiTimes } from '../../protocol/api-times.js';
import { StoreExecutionFeed } from '../store-execution-feed.js';
import { reauthorizer, type Reauthorize } from '../auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A success of this route may end credentials: open feeds re-check theirs at once. */
    endsAccess?: boolean;
  }
}

export const HEARTBEAT_MS = 15_000;
export const MAX_BUFFERED_BYTES = 1024 * 1024;
export const MAX_STREAMS = 100;

/** One SSE event for an execution. */
export function executionEvent(e: FleetExecution): string {
  return `id: ${e.agentId}-${e.id}\nevent: execution\ndata: ${JSON.stringify(toApiTimes(e))}\n\n`;
}

const schema = { querystring: strictObject({ agent: AGENT_ID }) };

/** Subscribes to recorded executions; returns the unsubscribe function. */
export type ExecutionSubscribe = (listener: (e: FleetExecution) => void) => () => void;

/**
 * The manager's feed: every execution its agents report; on a node sharing its store
 * (`feedPollMs` set), every execution stored by any node, read from the store
 * (store-execution-feed.ts).
 */
export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  if (deps.feedPollMs !== undefined) {
    const feed = new StoreExecutionFeed({
      service: deps.service,
      everyMs: deps.feedPollMs,
      now: deps.now,
      log: deps.log ?? { warn: () => undefined },
    });
    app.addHook('onClose', () => feed.close());
    registerExecutionStream(app, feed.subscribe, deps.feedHeartbeatMs);
    return;
  }
  registerExecutionStream(
    app,
    (listener) =>
      deps.service.onEvent((e) => {
        if (e.type === 'execution') {
          listener(e.execution);
        }
      }),
    deps.feedHeartbeatMs,
  );
}

/** 503: MAX_STREAMS feeds are open. */
function tooMany(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', '5')
    .send({
      error: {
        code: ErrorCode.DAEMON_UNREACHABLE,
        message: `Too many open execution streams (${MAX_STREAMS}); retry later`,
      },
    });
}

/** The open feeds: each one's response and the request that opened it. */
type OpenFeeds = Map<ServerResponse, FastifyRequest>;

/**
 * Ends the feed on `res` unless its request is still authorized (auth.ts stillAuthorized); a check
 * that fails (the store unreachable) ends it too. Answers whether the feed goes on.
 */
async function keepIfAuthorized(
  request: FastifyRequest,
  res: ServerResponse,
  reauthorize: Reauthorize,
): Promise<boolean> {
  const allowed = await reauthorize(request).catch(() => false);
  if (!allowed) {
    res.end();
  }
  return allowed;
}

/** After a success of a route marked `endsAccess`, every open feed re-checks its credentials. */
function recheckOnRevocation(app: FastifyInstance, open: OpenFeeds, reauthorize: Reauthorize): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.config.endsAccess !== true || reply.statusCode >= 300) {
      return;
    }
    await Promise.all([...open].map(([res, feedRequest]) => keepIfAuthorized(feedRequest, res, reauthorize)));
  });
}

/** The heartbeat of the feed on `res`, each one after a re-check of its authorization (if any). */
function startHeartbeat(
  request: FastifyRequest,
  res: ServerResponse,
  everyMs: number,
  reauthorize: Reauthorize | undefined,
): NodeJS.Timeout {
  const beat = async (): Promise<void> => {
    if (reauthorize !== undefined && !(await keepIfAuthorized(request, res, reauthorize))) {
      return;
    }
    if (!res.writableEnded) {
      res.write(': heartbeat\n\n');
    }
  };
  const heartbeat = setInterval(() => void beat(), everyMs);
  heartbeat.unref();
  return heartbeat;
}

/** Writes the feed's headers and first lines on the hijacked `res`. */
function openFeed(reply: FastifyReply, res: ServerResponse): void {
  // Hijacked: fastify's onSend hooks do not run, so the shared headers are set here.
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) {
      res.setHeader(name, value);
    }
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  res.write('retry: 3000\n: riposte executions\n\n');
}

/**
 * `GET /executions/stream` fed by `subscribe` (route access `read` where the API has roles), a
 * heartbeat every `heartbeatMs` (HEARTBEAT_MS; shorter in tests).
 */
export function registerExecutionStream(
  app: FastifyInstance,
  subscribe: ExecutionSubscribe,
  heartbeatMs: number = HEARTBEAT_MS,
): void {
  const open: OpenFeeds = new Map();
  const reauthorize = reauthorizer(app);
  app.addHook('preClose', async () => {
    for (const res of open.keys()) {
      res.end();
    }
  });
  if (reauthorize !== undefined) {
    recheckOnRevocation(app, open, reauthorize);
  }
  app.get<{ Querystring: { agent?: string } }>(
    '/executions/stream',
    { schema, config: { access: 'read', ownLimit: true } },
    async (request, reply) => {
      if (open.size >= MAX_STREAMS) {
        return tooMany(reply);
      }
      const agent = request.query.agent;
      const res = reply.raw;
      reply.hijack();
      if (res.closed || request.raw.socket.destroyed) {
        return; // gone while it was authenticated: its 'close' has fired, nothing would end a feed
      }
      openFeed(reply, res);
      open.set(res, request);
      const unsubscribe = subscribe((e) => {
        if ((agent !== undefined && e.agentId !== agent) || res.writableEnded) {
          return;
        }
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          res.destroy();
          return;
        }
        res.write(executionEvent(e));
      });
      const heartbeat = startHeartbeat(request, res, heartbeatMs, reauthorize);
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      });
    },
  );
}
