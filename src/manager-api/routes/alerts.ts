/**
 * `POST /alerts`: alerts pushed instead of (or besides) tailing alerts.json. `application/json`
 * takes one alert object; `application/x-ndjson` takes one alert per line, like alerts.json. The
 * answer (202) is the ingest summary: alerts are matched and their orders queued durably before
 * it is sent, delivery to agents follows asynchronously.
 */
import type { FastifyInstance } from 'fastify';
import type { ManagerApiDeps } from '../api-deps.js';

export const NDJSON = 'application/x-ndjson';

const schema = {
  body: {
    content: {
      'application/json': { schema: { type: 'object' } },
      [NDJSON]: { schema: { type: 'string', minLength: 1 } },
    },
  },
};

/** The alerts.json lines of a request body: an object becomes one line, NDJSON is split on newlines. */
export function alertLines(body: unknown): string[] {
  if (typeof body === 'string') {
    return body.split(/\r?\n/).filter((line) => line.trim() !== '');
  }
  return [JSON.stringify(body)];
}

/** Registered in its own plugin scope, so the NDJSON parser applies to this route only. */
export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser(NDJSON, { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });
    scope.post('/alerts', { schema, config: { access: 'operator' } }, async (request, reply) =>
      reply.code(202).send(deps.service.ingestAlerts(alertLines(request.body))),
    );
  });
}
