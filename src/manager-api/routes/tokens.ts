/**
 * API tokens (admin only): `POST /tokens` creates one and returns it once (only its hash is kept),
 * `GET /tokens` lists them without secrets, `DELETE /tokens/:id` revokes one. The last admin token
 * still valid (not expired) cannot be revoked, so the API can never lock its operators out. A
 * revocation also ends the revoked token's open execution feeds (execution-stream.ts).
 */
import type { FastifyInstance } from 'fastify';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { ROLES, type Role } from '../../protocol/api-access.js';
import { mintApiToken } from '../api-tokens.js';
import { NAME, TOKEN_ID, TTL_SECONDS, strictObject } from '../schemas.js';

const createSchema = {
  body: strictObject({ name: NAME, role: { type: 'string', enum: ROLES }, ttl: TTL_SECONDS }, [
    'name',
    'role',
  ]),
};
const deleteSchema = { params: strictObject({ id: TOKEN_ID }, ['id']) };

/**
 * Revokes token `id`, unless it is the last admin token still valid (expired ones do not count: a
 * caller could be left with only expired admin tokens and no way to manage tokens again). The store
 * checks and deletes in one transaction (ApiTokenStore.revoke).
 * @throws RiposteError REQUEST_INVALID (unknown id, or the last valid admin token)
 */
export async function revokeToken(deps: ManagerApiDeps, id: string): Promise<void> {
  const outcome = await deps.tokens.revoke(id, deps.now());
  if (outcome === 'unknown') {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `Cannot revoke token "${id}": no such token`);
  }
  if (outcome === 'last-admin') {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `Cannot revoke token "${id}": it is the last admin token still valid`,
    );
  }
}

export function register(app: FastifyInstance, deps: ManagerApiDeps): void {
  app.post<{ Body: { name: string; role: Role; ttl?: number } }>(
    '/tokens',
    { schema: createSchema, config: { access: 'admin' } },
    async (request, reply) => {
      const { name, role, ttl } = request.body;
      const minted = await mintApiToken(deps.tokens, {
        name,
        role,
        now: deps.now(),
        ttlMs: ttl === undefined ? undefined : ttl * 1000,
      });
      return reply.code(201).send({ ...minted.record, token: minted.token });
    },
  );
  app.get('/tokens', { config: { access: 'admin' } }, async () => {
    const items = await deps.tokens.list();
    return { items, total: items.length };
  });
  app.delete<{ Params: { id: string } }>(
    '/tokens/:id',
    { schema: deleteSchema, config: { access: 'admin', endsAccess: true } },
    async (request, reply) => {
      await revokeToken(deps, request.params.id);
      return reply.code(204).send();
    },
  );
}
