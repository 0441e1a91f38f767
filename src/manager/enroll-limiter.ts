/**
 * Failed-enrollment limit per source address (issue 13.12): at most `maxFailures` refused attempts
 * per address within `windowMs`; beyond that the address is refused before its password or token is
 * even looked at, until its oldest counted failure leaves the window. Successful enrollments are not
 * counted. Pure: the caller passes `now`; no timers. Memory stays bounded: each address keeps at most
 * `maxFailures` timestamps, addresses whose failures all left the window are pruned on every use,
 * and at most `maxAddresses` are tracked (the least recently failing is forgotten first).
 */

import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { sourceKey } from '../core/net/traffic-source.js';

/** Configurable on `riposte manager` (--enroll-max-failures, --enroll-window, --enroll-max-addresses). */
export interface EnrollLimits {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxAddresses: number;
}

export const DEFAULT_ENROLL_LIMITS: EnrollLimits = {
  maxFailures: 10,
  windowMs: 60_000,
  maxAddresses: 10_000,
};

/** Accepted ranges: a limit that is off (0) or unbounded in memory is refused. */
export const ENROLL_LIMIT_RANGES = {
  maxFailures: { flag: '--enroll-max-failures', min: 1, max: 1_000_000 },
  windowMs: { flag: '--enroll-window', min: 1_000, max: 86_400_000 },
  maxAddresses: { flag: '--enroll-max-addresses', min: 1, max: 1_000_000 },
} as const;

/**
 * The limits, each checked against {@link ENROLL_LIMIT_RANGES}.
 * @throws RiposteError REQUEST_INVALID naming the flag, the value and the accepted range
 */
export function checkEnrollLimits(limits: EnrollLimits): EnrollLimits {
  for (const name of ['maxFailures', 'windowMs', 'maxAddresses'] as const) {
    const v = limits[name];
    const { flag, min, max } = ENROLL_LIMIT_RANGES[name];
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      const unit = name === 'windowMs' ? ' ms (1s to 1d)' : '';
      throw new RiposteError(
        ErrorCode.REQUEST_INVALID,
        `${flag}: ${String(v)} is not an integer from ${min} to ${max}${unit}`,
      );
    }
  }
  return Object.freeze({ ...limits });
}

export class EnrollLimiter {
  /** Failure times per address, oldest first; the map is ordered by each address's latest failure. */
  private readonly failures = new Map<string, number[]>();

  private readonly limits: EnrollLimits;

  /** @throws RiposteError REQUEST_INVALID for limits outside {@link ENROLL_LIMIT_RANGES} */
  constructor(limits: EnrollLimits = DEFAULT_ENROLL_LIMITS) {
    this.limits = checkEnrollLimits(limits);
  }

  /** Milliseconds until `peer` may try again, or 0 when it may try now. */
  retryAfterMs(peer: string, now: number): number {
    this.prune(now);
    const times = (this.failures.get(sourceKey(peer)) ?? []).filter((t) => t > now - this.limits.windowMs);
    if (times.length < this.limits.maxFailures) {
      return 0;
    }
    const oldest = times[times.length - this.limits.maxFailures] ?? now;
    return oldest + this.limits.windowMs - now;
  }

  /**
   * Whether another attempt of `peer` may start while `running` of its attempts are unfinished
   * (enrollments run concurrently): always when none is, else only if every unfinished one failing
   * would still leave it under the limit. So concurrent attempts never get an address more tries
   * than one-at-a-time attempts would.
   */
  roomFor(peer: string, now: number, running: number): boolean {
    if (running === 0) {
      return true;
    }
    const times = (this.failures.get(sourceKey(peer)) ?? []).filter((t) => t > now - this.limits.windowMs);
    return times.length + running < this.limits.maxFailures;
  }

  recordFailure(peer: string, now: number): void {
    const key = sourceKey(peer);
    const times = (this.failures.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    times.push(now);
    if (times.length > this.limits.maxFailures) {
      times.splice(0, times.length - this.limits.maxFailures);
    }
    this.failures.delete(key);
    this.failures.set(key, times);
    this.prune(now);
  }

  /** Addresses tracked now (for tests and metrics). */
  get size(): number {
    return this.failures.size;
  }

  private prune(now: number): void {
    for (const [key, times] of this.failures) {
      const latest = times[times.length - 1] ?? 0;
      if (latest > now - this.limits.windowMs && this.failures.size <= this.limits.maxAddresses) {
        break;
      }
      this.failures.delete(key);
    }
  }
}
