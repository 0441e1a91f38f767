/**
 * Agent enrollment (Wazuh's authd, over HTTPS): an agent proves it may join with the manager's
 * password (`<home>/etc/authd.pass`) or a one-time token (stored as a SHA-256 hash, single use,
 * expiring, bound to a name); the manager assigns the next id and issues a client certificate
 * (CN = id) signed by its CA. Enrollments run one at a time so ids are never assigned twice.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { fingerprintOf, issueAgentCert, type ManagerPki } from '../pki/pki.js';
import type { ManagerContext } from './manager-context.js';
import type { EnrollRequest, EnrollResult } from '../protocol/fleet-records.js';

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

export class Enrollment {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: ManagerContext,
    private readonly pki: ManagerPki,
    /** `<home>/etc/authd.pass`; password enrollment is off when the file is absent. */
    private readonly passwordFile: string,
  ) {}

  addToken(name: string, ttlMs: number): { token: string; expiresAt: number } {
    checkName(name);
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new RiposteError(ErrorCode.REQUEST_INVALID, 'Token lifetime must be between 1 ms and 30 days');
    }
    const token = randomBytes(24).toString('base64url');
    const now = this.ctx.now();
    this.ctx.store.addEnrollToken(hashToken(token), name, now, now + ttlMs);
    return { token, expiresAt: now + ttlMs };
  }

  /** Enrolls one agent (serialised with other enrollments). */
  enroll(req: EnrollRequest, peer: string): Promise<EnrollResult> {
    const run = this.chain.then(() => this.enrollNow(req, peer));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private authorize(req: EnrollRequest, name: string): void {
    if (typeof req.token === 'string') {
      const use = this.ctx.store.useEnrollToken(hashToken(req.token), name, this.ctx.now());
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

  private async enrollNow(req: EnrollRequest, peer: string): Promise<EnrollResult> {
    const name = checkName(req.name);
    // Authorization first: an unauthenticated caller learns nothing about enrolled names.
    this.authorize(req, name);
    const dup = this.ctx.store.listAgents().find((a) => a.name === name && a.removedAt === undefined);
    if (dup !== undefined) {
      throw new RiposteError(
        ErrorCode.REQUEST_INVALID,
        `Agent name "${name}" is already enrolled (id ${dup.id})`,
      );
    }
    const id = this.ctx.store.nextAgentId();
    const now = this.ctx.now();
    const pair = await issueAgentCert(this.pki.ca, id, now);
    this.ctx.store.insertAgent({
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
    this.ctx.log.info(`Agent ${id} ("${name}") enrolled from ${peer}.`);
    return { id, name, cert: pair.cert, key: pair.key, ca: this.pki.ca.cert };
  }
}
