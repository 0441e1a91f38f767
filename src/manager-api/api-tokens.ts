/**
 * API tokens: minting, verification and the first admin token.
 *
 * A token is `<id>.<secret>`: `id` is 12 hex characters, public (listed by `GET /tokens`, written to
 * the audit log); `secret` is 32 random bytes in base64url. Only SHA-256(secret) is stored. A token
 * is verified by looking its id up and comparing the hashes with `timingSafeEqual`, so neither the
 * lookup nor the comparison depends on the secret's bytes.
 *
 * Not part of this module: where tokens are kept (store/sqlite-api-tokens.ts) and which route needs
 * which role (the routes declare it; auth.ts enforces it).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import {
  publicRecord,
  validAt,
  type ApiTokenRecord,
  type Role,
  type StoredApiToken,
} from '../protocol/api-access.js';
import type { ApiTokenStore } from '../core/api-access-store.js';

/** A freshly minted token: the record to show and the one-time secret string. */
export interface MintedToken {
  readonly record: ApiTokenRecord;
  /** `<id>.<secret>`: shown once, never stored. */
  readonly token: string;
}

export interface MintOptions {
  readonly name: string;
  readonly role: Role;
  readonly now: number;
  /** Lifetime in ms; undefined = never expires. */
  readonly ttlMs?: number | undefined;
}

const TOKEN_RE = /^([0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Creates a token, stores its hash and returns the token string (the only time it exists). */
export async function mintApiToken(store: ApiTokenStore, opts: MintOptions): Promise<MintedToken> {
  if (!/^[\w.@-]{1,64}$/.test(opts.name)) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `Cannot create token "${opts.name}": names are 1-64 letters, digits, "_", ".", "@" or "-"`,
    );
  }
  const id = crypto.randomBytes(6).toString('hex');
  const secret = crypto.randomBytes(32).toString('base64url');
  const expiresAt = opts.ttlMs === undefined ? undefined : opts.now + opts.ttlMs;
  const record: ApiTokenRecord = {
    id,
    name: opts.name,
    role: opts.role,
    createdAt: opts.now,
    expiresAt,
    lastUsedAt: undefined,
  };
  await store.insert({ ...record, secretHash: hashSecret(secret) });
  return { record, token: `${id}.${secret}` };
}

/**
 * How precisely a token's use time is kept, ms: a use within this of the recorded one writes
 * nothing. A feed POSTing alerts many times a second would otherwise write the token's row at
 * every request: a commit (an fsync on SQLite) per request, and on a cluster three nodes taking
 * turns at one row lock (0.8-2.7 ms per request measured with 3 nodes on one PostgreSQL).
 */
export const USE_TIME_RESOLUTION_MS = 60_000;

/**
 * The token's record when `token` is valid at `now`; undefined otherwise (malformed, unknown,
 * wrong secret, expired). Records the use time when it can (a failed write does not refuse the
 * token), to the minute (USE_TIME_RESOLUTION_MS).
 */
export async function verifyApiToken(
  store: ApiTokenStore,
  token: string,
  now: number,
): Promise<ApiTokenRecord | undefined> {
  const stored = await checkApiToken(store, token, now);
  return stored === undefined ? undefined : recordUse(store, stored, now);
}

/**
 * The stored token when `token` is valid at `now`, as verifyApiToken decides, without recording a
 * use (an open execution feed re-checks its token with this: auth.ts stillAuthorized).
 */
export async function checkApiToken(
  store: ApiTokenStore,
  token: string,
  now: number,
): Promise<StoredApiToken | undefined> {
  const m = TOKEN_RE.exec(token);
  if (!m?.[1] || !m[2]) {
    return undefined;
  }
  const stored = await store.get(m[1]);
  if (!stored) {
    return undefined;
  }
  const given = Buffer.from(hashSecret(m[2]), 'hex');
  const expected = Buffer.from(stored.secretHash, 'hex');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return undefined;
  }
  return validAt(stored, now) ? stored : undefined;
}

/** The valid token's record, its use at `now` recorded unless it is within the resolution. */
async function recordUse(store: ApiTokenStore, stored: StoredApiToken, now: number): Promise<ApiTokenRecord> {
  const last = stored.lastUsedAt;
  if (last !== undefined && now >= last && now - last < USE_TIME_RESOLUTION_MS) {
    return publicRecord(stored);
  }
  try {
    await store.touch(stored.id, now);
  } catch {
    // The use time is informational: failing to record it (e.g. SQLITE_FULL on a full disk) must
    // not turn a valid token into a failed request, or the operator loses the API (status, revert)
    // exactly when the disk-full state needs to be seen.
    return publicRecord(stored);
  }
  return { ...publicRecord(stored), lastUsedAt: now };
}

/**
 * Called by `riposte manager` at start: when the store holds no admin token valid at `now`, mints
 * one named "admin" and writes it to `file` (mode 0600, directory 0700), replacing any stale file.
 * Returns the token string when one was created, undefined when a valid admin token exists (the
 * file is then left alone: the token in it, if any, is still the valid one or was deliberately
 * removed). Expired admin tokens do not count: they would leave no way to manage tokens.
 */
export async function ensureAdminToken(
  store: ApiTokenStore,
  file: string,
  now: number,
): Promise<string | undefined> {
  if ((await store.list()).some((t) => t.role === 'admin' && validAt(t, now))) {
    return undefined;
  }
  const minted = await mintApiToken(store, { name: 'admin', role: 'admin', now });
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${minted.token}\n`, { mode: 0o600, flag: 'wx' });
  return minted.token;
}
