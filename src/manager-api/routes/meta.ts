/**
 * `GET /metrics` (Prometheus text, role `read`) and `GET /openapi.json` (public: the API's
 * description holds no secret and clients need it before they have a token).
 */
import type { FastifyInstance } from 'fastify';
import type { ManagerApiDeps } from '../api-deps.js';
import { openApiDocument } from '../openapi-document.js';

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.get('/metrics', { config: { access: 'read' } }, async (_request, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.render()),
  );
  app.get('/openapi.json', { config: { access: 'public' } }, async () => openApiDocument());
}
