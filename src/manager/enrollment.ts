/**
 * Agent enrollment (Wazuh's authd, over HTTPS): an agent proves it may join with the manager's
 * password (`<home>/etc/authd.pass`) or a one-time token (stored as a SHA-256 hash, single use,
 * expiring, bound to a name); the manager assigns the next id and issues a client certificate
 * (CN = id) signed by its CA. Enrollments run concurrently (up to the store's batchConcurrency:
 * PostgreSQL 4, SQLite 1): ids come from the store's counter row (never twice), and the name check
 * is repeated inside the insert's transaction, holding the name (activeAgentNamed), so two
 * enrollments of one name, on one node or two, cannot both succeed.
 * Hardening (issue 13.12): a token is checked first and consumed only when nothing else can refuse
 * the enrollment (a duplicate name does not burn it); names are unique case-insensitively among
 * non-removed agents; an address with too many failed attempts is refused with RATE_LIMITED
 * (enroll-limiter.ts) before its credentials are looked at.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { fingerprintOf, issueAgentCert, type ManagerPki } from '../pki/pki.js';
import type { ManagerContext } from './manager-context.js';
import type { ManagerStore } from '../core/orders/manager-store.js';
import type { EnrollRequest, EnrollResult } from '../protocol/fleet-records.js';
import { EnrollLimiter } from './enroll-limiter.js';
import { sourceKey } from '../core/net/traffic-source.js';

/** Wazuh's agent-name charset, capped at 128 characters. */
const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
/** Longest token lifetime accepted: 30 days (ms). */
const MAX_TOKEN_TTL_MS = 30 * 86_400_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      'Invalid agent name: use 1 to 128 letters, digits, ".", "_" or "-"',
    );
  }
  return name;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const TOKEN_REASONS = {
  unknown: 'is not valid',
  used: 'was already used',
  expired: 'has expired',
  'wrong-name': 'was issued for another agent name',
} as const;

/** A promise and the function resolving it. */
function signal(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export class Enrollment {
  /** Enrollments running now, in all and per source address (the limiter's key). */
  private running = 0;
  private readonly runningFrom = new Map<string, number>();
  /** Resolved (and replaced) whenever an enrollment ends: waiters re-check their turn. */
  private ended = signal();

  constructor(
    private readonly ctx: ManagerContext,
    private readonly pki: ManagerPki,
    /** `<home>/etc/authd.pass`; password enrollment is off when the file is absent. */
    private readonly passwordFile: string,
    private readonly limiter: EnrollLimiter = new EnrollLimiter(),
  ) {}

  async addToken(name: string, ttlMs: number): Promise<{ token: string; expiresAt: number }> {
    checkName(name);
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new RiposteError(ErrorCode.REQUEST_INVALID, 'Token lifetime must be between 1 ms and 30 days');
    }
    const token = randomBytes(24).toString('base64url');
    const now = this.ctx.now();
    await this.ctx.store.addEnrollToken(hashToken(token), name, now, now + ttlMs);
    return { token, expiresAt: now + ttlMs };
  }

  /**
   * Enrolls one agent: at once when fewer than the store's batchConcurrency enrollments run and the
   * limiter has room for this address (EnrollLimiter.roomFor), else after others end.
   */
  async enroll(req: EnrollRequest, peer: string): Promise<EnrollResult> {
    const key = sourceKey(peer);
    const limit = Math.max(1, this.ctx.store.batchConcurrency);
    while (
      this.running >= limit ||
      !this.limiter.roomFor(peer, this.ctx.now(), this.runningFrom.get(key) ?? 0)
    ) {
      await this.ended.promise;
    }
    this.running++;
    this.runningFrom.set(key, (this.runningFrom.get(key) ?? 0) + 1);
    try {
      return await this.limitedEnroll(req, peer);
    } finally {
      this.running--;
      const left = (this.runningFrom.get(key) ?? 1) - 1;
      if (left > 0) {
        this.runningFrom.set(key, left);
      } else {
        this.runningFrom.delete(key);
      }
      const ended = this.ended;
      this.ended = signal();
      ended.resolve();
    }
  }

  /**
   * Each attempt sees the failures recorded before it started (enroll() admits an address's attempt
   * only when its unfinished ones failing would leave it under the limit). Every refusal counts
   * (wrong password or token, bad name, duplicate name) except a RATE_LIMITED one, which would
   * otherwise keep a hammering address locked out forever.
   */
  private async limitedEnroll(req: EnrollRequest, peer: string): Promise<EnrollResult> {
    const waitMs = this.limiter.retryAfterMs(peer, this.ctx.now());
    if (waitMs > 0) {
      const retryAfterSec = Math.ceil(waitMs / 1000);
      throw new RiposteError(
        ErrorCode.RATE_LIMITED,
        `Enrollment refused: too many failed attempts from this address; retry after ${retryAfterSec} s`,
        { retryAfterSec },
      );
    }
    try {
      return await this.enrollNow(req, peer);
    } catch (err: unknown) {
      this.limiter.recordFailure(peer, this.ctx.now());
      throw err;
    }
  }

  /** Checks the password or token; a token is NOT consumed here (see {@link consumeToken}). */
  private async authorize(req: EnrollRequest, name: string): Promise<void> {
    if (typeof req.token === 'string') {
      const use = await this.ctx.store.checkEnrollToken(hashToken(req.token), name, this.ctx.now());
      if (!use.ok) {
        throw new RiposteError(
          ErrorCode.AUTH_FORBIDDEN,
          `Enrollment refused: the token ${TOKEN_REASONS[use.reason]}`,
        );
      }
      return;
    }
    if (typeof req.password !== 'string') {
      throw new RiposteError(ErrorCode.AUTH_REQUIRED, 'Enrollment requires a password or a token');
    }
    if (!existsSync(this.passwordFile)) {
      throw new RiposteError(
        ErrorCode.AUTH_FORBIDDEN,
        'Enrollment refused: password enrollment is disabled on this manager',
      );
    }
    if (!sameSecret(req.password, readFileSync(this.passwordFile, 'utf8').trim())) {
      throw new RiposteError(ErrorCode.AUTH_FORBIDDEN, 'Enrollment refused: invalid password');
    }
  }

  /**
   * Marks the token used, atomically: of two attempts with one token, one gets it. On `tx`, the
   * enrollment's transaction: an agent row that then fails to insert leaves the token unused (on
   * PostgreSQL the store itself is another connection, whose write would stay).
   */
  private async consumeToken(req: EnrollRequest, name: string, tx: ManagerStore): Promise<void> {
    if (typeof req.token !== 'string') {
      return;
    }
    const use = await tx.useEnrollToken(hashToken(req.token), name, this.ctx.now());
    if (!use.ok) {
      throw new RiposteError(
        ErrorCode.AUTH_FORBIDDEN,
        `Enrollment refused: the token ${TOKEN_REASONS[use.reason]}`,
      );
    }
  }

  /** @throws RiposteError REQUEST_INVALID when a non-removed agent has that name (case-insensitively) */
  private async refuseDuplicate(name: string, store: ManagerStore = this.ctx.store): Promise<void> {
    const dup = await store.activeAgentNamed(name);
    if (dup !== undefined) {
      throw new RiposteError(
        ErrorCode.REQUEST_INVALID,
        `Agent name "${name}" is already enrolled (id ${dup.id}, "${dup.name}"; names are case-insensitive)`,
      );
    }
  }

  private async enrollNow(req: EnrollRequest, peer: string): Promise<EnrollResult> {
    const name = checkName(req.name);
    // Authorization first: an unauthenticated caller learns nothing about enrolled names.
    await this.authorize(req, name);
    // An early check (an index lookup) spares an id and a certificate; the one in the transaction
    // below, holding the name, is the one that counts.
    await this.refuseDuplicate(name);
    const id = await this.ctx.store.nextAgentId();
    const now = this.ctx.now();
    const pair = await issueAgentCert(this.pki.ca, id, now);
    // Consumed only now: nothing after this point refuses the enrollment.
    await this.ctx.store.batch(async (tx) => {
      await this.refuseDuplicate(name, tx);
      await this.consumeToken(req, name, tx);
      await tx.insertAgent({
        id,
        name,
        fingerprint: fingerprintOf(pair.cert),
        registeredAt: now,
        removedAt: undefined,
        lastSeen: undefined,
        version: undefined,
        address: undefined,
        arDisabled: false,
      });
    });
    this.ctx.log.info(`Agent ${id} ("${name}") enrolled from ${peer}.`);
    return { id, name, cert: pair.cert, key: pair.key, ca: this.pki.ca.cert };
  }
}
