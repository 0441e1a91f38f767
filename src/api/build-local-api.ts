/**
 * The local HTTP API of a running agent or all-in-one daemon (fastify). Built without listening,
 * so tests use `app.inject()`. Every route needs the bearer token from `<home>/var/api.token`.
 *
 *   GET    /status
 *   GET    /active-responses
 *   DELETE /active-responses/:key     revert one now
 *   DELETE /active-responses          revert all now
 *   POST   /active-responses/run      {name, srcip?, user?, alert?}
 *   GET    /executions?limit=N
 *   POST   /alerts                    one alert (JSON) or NDJSON lines (all-in-one only)
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { LocalService } from '../local/local-service.js';
import { bearerMatches } from './api-token.js';
import { toHttpError } from './error-mapper.js';
import { registerLocalRoutes } from './routes/local-routes.js';

export interface LocalApiOptions {
  readonly service: LocalService;
  readonly token: string;
  readonly now: () => number;
  /** @default 1 MiB */
  readonly bodyLimit?: number;
}

export function buildLocalApi(opts: LocalApiOptions): FastifyInstance {
  // removeAdditional off: `additionalProperties: false` then rejects unknown fields instead of
  // silently dropping them (fastify's default).
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.addContentTypeParser(
    ['application/x-ndjson', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => {
      done(null, body);
    },
  );
  app.addHook('onRequest', async (req) => {
    if (!bearerMatches(req.headers.authorization, opts.token)) {
      throw new RiposteError(
        ErrorCode.AUTH_REQUIRED,
        'Missing or wrong API token (see <home>/var/api.token)',
      );
    }
  });
  app.setErrorHandler(async (err, _req, reply) => {
    const mapped = toHttpError(err);
    return reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler(async (req, reply) =>
    reply
      .status(404)
      .send({ error: { code: ErrorCode.REQUEST_INVALID, message: `No route ${req.method} ${req.url}` } }),
  );
  registerLocalRoutes(app, opts.service, opts.now);
  return app;
}
