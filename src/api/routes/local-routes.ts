/**
 * Route handlers of the local API: parse, call the LocalService, shape the reply. No policy here.
 */
import type { FastifyInstance } from 'fastify';
import type { LocalService } from '../../local/local-service.js';
import { isJsonObject, type JsonObject } from '../../protocol/json.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { activeView, executionView } from './views.js';

const runSchema = {
  body: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 255 },
      srcip: { type: 'string', maxLength: 64 },
      user: { type: 'string', maxLength: 256 },
      alert: { type: 'object' },
    },
  },
} as const;

const historySchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { limit: { type: 'integer', minimum: 1, maximum: 100000 } },
  },
} as const;

interface RunBody {
  name: string;
  srcip?: string;
  user?: string;
  alert?: JsonObject;
}

/** The NDJSON or JSON body of POST /alerts as lines. */
function alertLines(body: unknown): string[] {
  if (typeof body === 'string') {
    return body.split('\n');
  }
  if (isJsonObject(body)) {
    return [JSON.stringify(body)];
  }
  if (Array.isArray(body)) {
    return body.map((a) => JSON.stringify(a));
  }
  throw new RiposteError(ErrorCode.REQUEST_INVALID, 'POST /alerts takes one alert (JSON) or NDJSON lines');
}

export function registerLocalRoutes(app: FastifyInstance, service: LocalService, now: () => number): void {
  app.get('/status', async () => service.status());
  app.get('/active-responses', async () => ({
    items: service.listActive().map((a) => activeView(a, now())),
  }));
  app.delete<{ Params: { key: string } }>('/active-responses/:key', async (req) => ({
    execution: executionView(await service.revert(req.params.key)),
  }));
  app.delete('/active-responses', async () => ({
    executions: (await service.revertAll()).map(executionView),
  }));
  app.post<{ Body: RunBody }>('/active-responses/run', { schema: runSchema }, async (req) => ({
    execution: executionView(await service.run(req.body)),
  }));
  app.get<{ Querystring: { limit?: number } }>('/executions', { schema: historySchema }, async (req) => ({
    items: service.history(req.query.limit ?? 100).map(executionView),
  }));
  app.post('/alerts', async (req) => service.ingest(alertLines(req.body)));
}
