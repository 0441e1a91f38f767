/**
 * The API edge's one conversion of times: every JSON answer (object payloads) goes through
 * protocol/api-times.ts's `toApiTimes` before fastify serializes it, so records keep epoch ms
 * everywhere behind the API and every route answers ISO-8601 without converting anything itself.
 * Answers sent as text (the `pretty` Wazuh answer, CSV) and the SSE feed do not pass here: they
 * call `toApiTimes` themselves (routes/execution-stream.ts, execution-export.ts).
 */
import type { FastifyInstance } from 'fastify';
import { toApiTimes } from '../protocol/api-times.js';

export function installApiTimes(app: FastifyInstance): void {
  app.addHook('preSerialization', async (_request, _reply, payload: unknown) => toApiTimes(payload));
}
