/**
 * Browser sessions of the web console. A user signs in once with an API token (`POST /session`);
 * the server answers with an HttpOnly, Secure, SameSite=Strict cookie naming a random session id,
 * and a CSRF token the page keeps in memory and sends as `X-CSRF-Token` on every state-changing
 * request. The token itself never reaches the browser's storage.
 *
 * Sessions live in memory (a manager restart signs everyone out) and hold the token's id only:
 * each request re-reads the token record, so revoking or expiring the token ends its sessions.
 * A session expires after `SESSION_TTL_MS` of inactivity.
 */
import crypto from 'node:crypto';
import { publicRecord, validAt, type ApiTokenRecord } from '../protocol/api-access.js';
import type { ApiTokenStore } from '../core/api-access-store.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'riposte_session';
/** The header carrying the CSRF token on state-changing requests. */
export const CSRF_HEADER = 'x-csrf-token';
/** Idle lifetime of a session: 8 hours. */
export const SESSION_TTL_MS = 8 * 3600 * 1000;
/** Most sessions kept at once; the least recently used is dropped beyond. */
export const MAX_SESSIONS = 10_000;

interface Session {
  readonly tokenId: string;
  readonly csrf: string;
  lastUsedAt: number;
}

/** What a valid session yields: the token's record and the session's CSRF token. */
export interface SessionView {
  readonly record: ApiTokenRecord;
  readonly csrf: string;
}

const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/;

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** Constant-time string equality (for CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly tokens: ApiTokenStore) {}

  /** Opens a session for an already verified token; returns its id and CSRF token. */
  open(record: ApiTokenRecord, now: number): { id: string; csrf: string } {
    const id = crypto.randomBytes(32).toString('base64url');
    const csrf = crypto.randomBytes(32).toString('base64url');
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) {
        this.sessions.delete(oldest);
      }
    }
    this.sessions.set(id, { tokenId: record.id, csrf, lastUsedAt: now });
    return { id, csrf };
  }

  /** The session's token record when the id is known, not idle too long and its token still valid. */
  async resolve(id: string | undefined, now: number): Promise<SessionView | undefined> {
    const found = await this.lookUp(id, now);
    if (found === undefined) {
      return undefined;
    }
    const { session, record } = found;
    session.lastUsedAt = now;
    // Re-insert: the map's order is least recently used first.
    this.sessions.delete(found.id);
    this.sessions.set(found.id, session);
    return { record, csrf: session.csrf };
  }

  /**
   * Like `resolve`, without counting as a use: an open execution feed re-checks its session with
   * this, so a console tab left open does not keep its session from idling out.
   */
  async check(id: string | undefined, now: number): Promise<ApiTokenRecord | undefined> {
    return (await this.lookUp(id, now))?.record;
  }

  /** The live session `id` and its token's record; a session found invalid is dropped. */
  private async lookUp(
    id: string | undefined,
    now: number,
  ): Promise<{ id: string; session: Session; record: ApiTokenRecord } | undefined> {
    if (id === undefined || !SESSION_ID_RE.test(id)) {
      return undefined;
    }
    const session = this.sessions.get(id);
    if (session === undefined) {
      return undefined;
    }
    const stored = await this.tokens.get(session.tokenId);
    if (stored === undefined || !validAt(stored, now) || now - session.lastUsedAt > SESSION_TTL_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    return { id, session, record: publicRecord(stored) };
  }

  close(id: string | undefined): void {
    if (id !== undefined) {
      this.sessions.delete(id);
    }
  }
}

/** The Set-Cookie value opening a session (empty `id` and max-age 0 to clear it). */
export function sessionCookie(id: string, maxAgeSec: number = SESSION_TTL_MS / 1000): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSec}`;
}
