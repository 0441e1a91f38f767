/**
 * The audit trail of the manager's REST API: one entry per request that asks to change state
 * (PUT, POST, DELETE), whatever its outcome, including refused ones (401/403/400) and those whose
 * client left before the answer (499: audit-hook.ts CLIENT_CLOSED_STATUS). GET and HEAD are
 * never audited. An entry names the token by id and name, never the token or a request body (which
 * may hold an enrollment password or token).
 *
 * The entry record is protocol/api-access.ts; the port core/api-access-store.ts.
 */

/** Methods whose requests are audited. */
export const AUDITED_METHODS: ReadonlySet<string> = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);
