/**
 * Console sign-in (console-sessions.ts): `POST /session {token}` (public: the token is the
 * credential) opens a session and sets its cookie; `GET /session` says who is signed in, with the
 * CSRF token the page must echo; `DELETE /session` signs out. The answers never contain the API
 * token. Bearer callers may use `GET /session` too (no CSRF token then: they need none).
 */
import type { FastifyInstance } from 'fastify';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { verifyApiToken } from '../api-tokens.js';
import type { ApiTokenRecord } from '../../protocol/api-access.js';
import type { ManagerApiDeps } from '../api-deps.js';
import { SESSION_COOKIE, cookieValue, sessionCookie, type ConsoleSessions } from '../console-sessions.js';
import { strictObject } from '../schemas.js';

const signInSchema = {
  body: strictObject({ token: { type: 'string', minLength: 1, maxLength: 200 } }, ['token']),
};

/** What the console shows about the signed-in user. */
function whoAmI(record: ApiTokenRecord, csrf: string | undefined): Record<string, unknown> {
  return {
    name: record.name,
    role: record.role,
    tokenId: record.id,
    ...(csrf === undefined ? {} : { csrf }),
  };
}

export function register(app: FastifyInstance, deps: ManagerApiDeps, sessions: ConsoleSessions): void {
  app.post<{ Body: { token: string } }>(
    '/session',
    { schema: signInSchema, config: { access: 'public' } },
    async (request, reply) => {
      const record = await verifyApiToken(deps.tokens, request.body.token, deps.now());
      if (record === undefined) {
        throw new RiposteError(
          ErrorCode.AUTH_REQUIRED,
          'Sign-in refused: unknown, malformed or expired API token',
        );
      }
      // The audit entry of this sign-in names the token.
      request.auth = record;
      const opened = sessions.open(record, deps.now());
      return reply.code(201).header('set-cookie', sessionCookie(opened.id)).send(whoAmI(record, opened.csrf));
    },
  );
  app.get('/session', { config: { access: 'read' } }, async (request) => {
    if (request.auth === undefined) {
      throw new RiposteError(ErrorCode.AUTH_REQUIRED, 'Not signed in');
    }
    return whoAmI(request.auth, request.consoleCsrf);
  });
  app.delete('/session', { config: { access: 'read', endsAccess: true } }, async (request, reply) => {
    sessions.close(cookieValue(request.headers.cookie, SESSION_COOKIE));
    return reply.code(204).header('set-cookie', sessionCookie('', 0)).send();
  });
}
