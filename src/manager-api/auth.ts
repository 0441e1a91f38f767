/**
 * Bearer-token authentication and role checks for the manager's REST API.
 *
 * Every route declares its minimum role in its route config (`config: { role: 'operator' }`) or
 * `'public'` (only `POST /enroll`, which checks the enrollment password itself, and
 * `GET /openapi.json`). A route that declares nothing needs `read`: forgetting the declaration
 * can never open a route to anonymous callers. Unknown paths also need a token, so they cannot be
 * probed anonymously.
 *
 * A browser signed in to the console (console-sessions.ts) authenticates with its session cookie
 * instead of a bearer token; its state-changing requests (AUDITED_METHODS) must also carry the
 * session's CSRF token in `X-CSRF-Token`, or they are refused with 403 AUTH_FORBIDDEN.
 *
 * Errors: 401 AUTH_REQUIRED without a token or with an unknown, malformed or expired one (the
 * same message for all, so a caller learns nothing about which); 403 AUTH_FORBIDDEN when the
 * token's role is too weak.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { roleAtLeast, type ApiTokenRecord, type Role } from '../protocol/api-access.js';
import { type ApiTokenStore } from '../core/api-access-store.js';
import { checkApiToken, verifyApiToken } from './api-tokens.js';
import { AUDITED_METHODS } from './audit.js';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  cookieValue,
  sameSecret,
  type ConsoleSessions,
} from './console-sessions.js';

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
    /** Set when the caller authenticated with a console session cookie. */
    consoleCsrf: string | undefined;
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
export async function authorize(
  request: FastifyRequest,
  tokens: ApiTokenStore,
  now: number,
  sessions?: ConsoleSessions,
): Promise<void> {
  const access = routeAccess(request);
  if (access === 'public') {
    return;
  }
  const token = bearerToken(request.headers.authorization);
  const record =
    token === undefined
      ? await sessionRecord(request, sessions, now)
      : await verifyApiToken(tokens, token, now);
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

/**
 * The record of the request's console session, if any; sets `request.consoleCsrf`.
 * @throws RiposteError AUTH_FORBIDDEN for a state-changing request without the session's CSRF token
 */
async function sessionRecord(
  request: FastifyRequest,
  sessions: ConsoleSessions | undefined,
  now: number,
): Promise<ApiTokenRecord | undefined> {
  const view = await sessions?.resolve(cookieValue(request.headers.cookie, SESSION_COOKIE), now);
  if (view === undefined) {
    return undefined;
  }
  request.consoleCsrf = view.csrf;
  const sent = request.headers[CSRF_HEADER];
  if (AUDITED_METHODS.has(request.method) && (typeof sent !== 'string' || !sameSecret(sent, view.csrf))) {
    request.auth = view.record;
    throw new RiposteError(
      ErrorCode.AUTH_FORBIDDEN,
      `${request.method} ${request.routeOptions.url ?? request.url} from a console session needs the session's CSRF token in "X-CSRF-Token"`,
    );
  }
  return view.record;
}

/**
 * Whether the credentials `request` was authorized with (its bearer token, or its console session)
 * still hold at `now` for its route: same token, not revoked nor expired, role still enough, the
 * session not closed nor idle too long. Writes nothing (no use time, no session refresh). For a
 * response that outlives its authorization: the execution feed (routes/execution-stream.ts).
 */
export async function stillAuthorized(
  request: FastifyRequest,
  tokens: ApiTokenStore,
  now: number,
  sessions?: ConsoleSessions,
): Promise<boolean> {
  const access = routeAccess(request);
  if (access === 'public') {
    return true;
  }
  const token = bearerToken(request.headers.authorization);
  const record =
    token === undefined
      ? await sessions?.check(cookieValue(request.headers.cookie, SESSION_COOKIE), now)
      : await checkApiToken(tokens, token, now);
  return record !== undefined && record.id === request.auth?.id && roleAtLeast(record.role, access);
}

/** Re-checks a request's authorization (stillAuthorized), for the API that installed auth on it. */
export type Reauthorize = (request: FastifyRequest) => Promise<boolean>;

const reauthorizers = new WeakMap<FastifyInstance, Reauthorize>();

/** The re-check of `app`'s authorization; undefined when it has none (a bare agent's API). */
export function reauthorizer(app: FastifyInstance): Reauthorize | undefined {
  return reauthorizers.get(app);
}

/** Installs the authentication hook (runs before the body is parsed) and its re-check. */
export function installAuth(
  app: FastifyInstance,
  tokens: ApiTokenStore,
  now: () => number,
  sessions?: ConsoleSessions,
): void {
  app.decorateRequest('auth', undefined);
  app.decorateRequest('consoleCsrf', undefined);
  app.addHook('onRequest', async (request) => {
    await authorize(request, tokens, now(), sessions);
  });
  reauthorizers.set(app, (request) => stillAuthorized(request, tokens, now(), sessions));
}
