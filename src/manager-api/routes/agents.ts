/**
 * Agents and enrollment: `GET /agents`, `GET /agents/:id` (read), `DELETE /agents/:id` (admin:
 * the agent is marked removed, disconnected, and its certificate refused from then on),
 * `POST /agents/tokens` (admin: a one-time enrollment token, shown once), `GET /agents/tokens`
 * (admin: every enrollment token by id, name and times, never the token), `DELETE
 * /agents/tokens/:id` (admin; audited like every DELETE, with the caller's token name) and `POST /enroll`
 * (public: the caller proves itself with the enrollment password or a one-time token; the
 * service checks them, and refuses an address with too many failed attempts: RATE_LIMITED, 429 +
 * Retry-After, keyed on `request.ip`).
 */
import type { FastifyInstance } from 'fastify';
import type { EnrollRequest } from '../../protocol/fleet-records.js';
import type { EnrollTokenRecord } from '../../core/orders/manager-console-store.js';
import type { ManagerApiDeps } from '../api-deps.js';
import type { ReadModels } from '../read-models.js';
import { AGENT_ID, AGENT_NAME, TOKEN_ID, TTL_SECONDS, strictObject } from '../schemas.js';

/** Default lifetime of an enrollment token: 24 h. */
export const DEFAULT_ENROLLMENT_TTL_SEC = 86_400;

/** `POST /enroll` is unauthenticated: its body is capped at 16 KiB (like the link layer's route). */
export const ENROLL_BODY_LIMIT_BYTES = 16 * 1024;

const idParams = strictObject({ id: AGENT_ID }, ['id']);
const SECRET = { type: 'string', minLength: 1, maxLength: 1024 };

const enrollSchema = { body: strictObject({ name: AGENT_NAME, password: SECRET, token: SECRET }, ['name']) };
const tokenSchema = { body: strictObject({ name: AGENT_NAME, ttl: TTL_SECONDS }, ['name']) };
const tokenIdParams = strictObject({ id: TOKEN_ID }, ['id']);

/** An enrollment token as the API lists it (`usedAt` only once used; ISO on the wire: api-serializer.ts). */
function tokenView(t: EnrollTokenRecord): Omit<EnrollTokenRecord, 'usedAt'> & { usedAt?: number } {
  return {
    id: t.id,
    name: t.name,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    ...(t.usedAt === undefined ? {} : { usedAt: t.usedAt }),
  };
}

function registerEnrollment(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.post<{ Body: { name: string; ttl?: number } }>(
    '/agents/tokens',
    { schema: tokenSchema, config: { access: 'admin' } },
    async (request, reply) => {
      const ttlSec = request.body.ttl ?? DEFAULT_ENROLLMENT_TTL_SEC;
      const created = await deps.service.addEnrollmentToken(request.body.name, ttlSec * 1000);
      return reply.code(201).send({ name: request.body.name, ...created });
    },
  );
  app.get('/agents/tokens', { config: { access: 'admin' } }, async () => {
    const items = (await deps.service.listEnrollmentTokens()).map(tokenView);
    return { items, total: items.length };
  });
  app.delete<{ Params: { id: string } }>(
    '/agents/tokens/:id',
    { schema: { params: tokenIdParams }, config: { access: 'admin' } },
    async (request) => tokenView(await deps.service.removeEnrollmentToken(request.params.id)),
  );
  app.post<{ Body: EnrollRequest }>(
    '/enroll',
    { schema: enrollSchema, bodyLimit: ENROLL_BODY_LIMIT_BYTES, config: { access: 'public' } },
    async (request, reply) => reply.code(201).send(await deps.service.enroll(request.body, request.ip)),
  );
}

/**
 * The agents with, for the console, `activeCount` (active responses now) and `lastError` (the
 * agent's most recent failed execution in the store's whole history, as one line).
 */
async function agentsWithActivity(
  deps: ManagerApiDeps,
  views: ReadModels,
): Promise<Record<string, unknown>[]> {
  const counts = (await views.active()).countByAgent();
  const lastError = new Map<string, string>();
  for (const e of await deps.service.lastFailurePerAgent()) {
    const why = e.note ?? e.stderrTail.trim().split('\n').pop() ?? '';
    lastError.set(
      e.agentId,
      `${new Date(e.startedAt).toISOString()} ${e.arName} ${e.status}: ${why}`.slice(0, 300),
    );
  }
  return (await deps.service.listAgents()).map((a) => ({
    ...a,
    activeCount: counts.get(a.id) ?? 0,
    ...(lastError.has(a.id) ? { lastError: lastError.get(a.id) } : {}),
  }));
}

export function register(app: FastifyInstance, deps: ManagerApiDeps, views: ReadModels): void {
  app.get('/agents', { config: { access: 'read' } }, async () => {
    const items = await agentsWithActivity(deps, views);
    return { items, total: items.length };
  });
  app.get<{ Params: { id: string } }>(
    '/agents/:id',
    { schema: { params: idParams }, config: { access: 'read' } },
    async (request) => deps.service.getAgent(request.params.id),
  );
  app.delete<{ Params: { id: string } }>(
    '/agents/:id',
    { schema: { params: idParams }, config: { access: 'admin' } },
    async (request) => {
      await deps.service.removeAgent(request.params.id);
      return deps.service.getAgent(request.params.id);
    },
  );
  registerEnrollment(app, deps);
}
