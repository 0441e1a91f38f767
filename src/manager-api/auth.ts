/**
 * Bearer-token authentication and role checks for the manager's REST API.
 *
 * Every route declares its minimum role in its route config (`config: { role: 'operator' }`) or
 * `'public'` (only `POST /enroll`, which checks the enrollment password itself, and
 * `GET /openapi.json`). A route that declares nothing needs `read`: forgetting the declaration
 * can never open a route to anonymous callers. Unknown paths also need a token, so they cannot be
 * probed anonymously.
 *
 * Errors: 401 AUTH_REQUIRED without a token or with an unknown, malformed or expired one (the
 * same message for all, so a caller learns nothing about which); 403 AUTH_FORBIDDEN when the
 * token's role is too weak.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { roleAtLeast, type ApiTokenRecord, type Role } from '../protocol/api-access.js';
import { type ApiTokenStore } from '../core/api-access-store.js';
import { verifyApiToken } from './api-tokens.js';

/** A route's access level: a minimum role, or open to anyone. */
export type RouteAccess = Role | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Minimum role for this route. @default 'read' */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The caller's token, once authenticated; undefined for public routes and refused requests. */
    auth: ApiTokenRecord | undefined;
  }
}

const BEARER_RE = /^Bearer ([!-~]{1,200})$/;

/** The token in an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER_RE.exec(header)?.[1];
}

/** The access level declared by the request's route (`read` when none, or for unknown paths). */
export function routeAccess(request: FastifyRequest): RouteAccess {
  return request.routeOptions.config.access ?? 'read';
}

/**
 * Checks the request's token against the route's access level; sets `request.auth`.
 * @throws RiposteError AUTH_REQUIRED, AUTH_FORBIDDEN
 */
export function authorize(request: FastifyRequest, tokens: ApiTokenStore, now: number): void {
  const access = routeAccess(request);
  if (access === 'public') {
    return;
  }
  const token = bearerToken(request.headers.authorization);
  const record = token === undefined ? undefined : verifyApiToken(tokens, token, now);
  if (!record) {
    throw new RiposteError(
      ErrorCode.AUTH_REQUIRED,
      'Authentication required: send a valid API token as "Authorization: Bearer <token>"',
    );
  }
  request.auth = record;
  if (!roleAtLeast(record.role, access)) {
    throw new RiposteError(
      ErrorCode.AUTH_FORBIDDEN,
      `Token "${record.name}" has role "${record.role}"; ${request.method} ${request.routeOptions.url ?? request.url} needs "${access}"`,
    );
  }
}

/** Installs the authentication hook (runs before the body is parsed). */
export function installAuth(app: FastifyInstance, tokens: ApiTokenStore, now: () => number): void {
  app.decorateRequest('auth', undefined);
  app.addHook('onRequest', async (request) => {
    authorize(request, tokens, now());
  });
}
