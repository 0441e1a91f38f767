/**
 * Records of the manager API's access control: roles, API token records (never the token itself)
 * and audit entries. Plain data shared by the REST API (manager-api/), its store (store/) and the
 * CLI. Times are epoch ms.
 */

/** Roles, weakest first: `read` lists and reads history; `operator` also runs and reverts; `admin` also manages agents and tokens. */
export const ROLES = ['read', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** True when `have` grants at least what `need` requires. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** What is stored about a token (never the token itself). Times are epoch ms. */
export interface ApiTokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: number;
  /** Epoch ms after which the token is refused; undefined = never expires. */
  readonly expiresAt: number | undefined;
  readonly lastUsedAt: number | undefined;
}

/** Whether the token is still valid at `now`: not past its `expiresAt` (it verifies until then). */
export function validAt(t: Pick<ApiTokenRecord, 'expiresAt'>, now: number): boolean {
  return t.expiresAt === undefined || now <= t.expiresAt;
}

/**
 * What revoking a token did: `revoked`; `unknown` (no such token); `last-admin` (refused: it is the
 * only admin token still valid, and without one no caller could manage tokens again).
 */
export type RevokeOutcome = 'revoked' | 'unknown' | 'last-admin';

/**
 * The decision `revoke` takes on a token store (both adapters, inside their transaction): `target`
 * is the token asked for (undefined when absent), `validAdmins` the ids of the admin tokens valid
 * now. Expired admin tokens do not count: they cannot manage anything.
 */
export function revokeOutcome(target: string | undefined, validAdmins: readonly string[]): RevokeOutcome {
  if (target === undefined) {
    return 'unknown';
  }
  return validAdmins.includes(target) && validAdmins.length <= 1 ? 'last-admin' : 'revoked';
}

/** A stored token with its secret's hash (hex SHA-256). */
export interface StoredApiToken extends ApiTokenRecord {
  readonly secretHash: string;
}

/** The record without its hash (what may leave the store). */
export function publicRecord(t: StoredApiToken): ApiTokenRecord {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
  };
}

/** One audited request. Times are epoch ms. */
export interface AuditEntry {
  readonly at: number;
  /** Token id, undefined when the request carried no valid token (refused, or `POST /enroll`). */
  readonly tokenId: string | undefined;
  readonly tokenName: string | undefined;
  readonly role: Role | undefined;
  readonly method: string;
  /** The URL path without the query string, e.g. "/active-responses/firewall-drop-1.2.3.4". */
  readonly path: string;
  readonly status: number;
  /** Agent ids the request targeted (`agents_list` or `agent` query, `:id` param), comma-separated. */
  readonly agents: string | undefined;
  /** Client address as seen by the server. */
  readonly remote: string | undefined;
}
