/**
 * `POST /alerts`: alerts pushed instead of (or besides) tailing alerts.json. `application/json`
 * takes one alert object; `application/x-ndjson` takes one alert per line, like alerts.json. The
 * answer (202) is the ingest summary: alerts are matched and their orders queued durably before
 * it is sent, delivery to agents follows asynchronously.
 *
 * Bad input: a JSON body over the API's bounds (1 MiB, nesting 101) is a 400 before parsing
 * (json-body-parser.ts). In NDJSON each line stands alone: a bad line (invalid, nested deeper than
 * 100, not an alert) is listed in `rejected` with its line number and reason, and the other lines
 * are ingested; the answer is 202 as long as the body itself was readable.
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

/**
 * The alerts.json lines of a request body: an object becomes one line, NDJSON is split on
 * newlines. Blank lines are kept (the service skips them) so that the line numbers of the
 * summary's `rejected` entries are the body's own line numbers.
 */
export function alertLines(body: unknown): string[] {
  if (typeof body === 'string') {
    const lines = body.split(/\r?\n/);
    if (lines.at(-1) === '') {
      lines.pop();
    }
    return lines;
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
      reply.code(202).send(await deps.service.ingestAlerts(alertLines(request.body))),
    );
  });
}
