/**
 * How many connections the manager's TLS port (API, `/enroll`, agents' `/link`) holds that no
 * agent certificate vouches for: those still in their TLS handshake, and those whose handshake
 * ended without a certificate this manager's CA issued (API clients, the console, enrolling
 * agents). Anyone who reaches the port can open them, and each holds a file descriptor and TLS
 * state; unbounded, one host could exhaust the manager's descriptors and keep every agent from
 * reconnecting. So at most `perSource` are held per source (an IPv4 address, an IPv6 /64:
 * core/net/traffic-source.ts) and `overall` in all; a connection beyond them is closed at accept.
 * A connection that presents a valid agent certificate gives its slot back at once: agents are
 * bounded by enrollment, not by this quota.
 *
 * Pure: counts only, no sockets and no clock (connection-gate.ts applies it to a server).
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

/** Configurable on `riposte manager` (--unauthenticated-max-per-source, --unauthenticated-max). */
export interface ConnectionLimits {
  readonly perSource: number;
  readonly overall: number;
}

/**
 * 1,024 per source: a site whose agents share one NAT address reconnects them all after a manager
 * restart, each in its handshake for milliseconds (one refused retries after its backoff);
 * 8,192 in all: ~40 KB of TLS state each, ~330 MB at worst.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perSource: 1_024, overall: 8_192 };

export const CONNECTION_LIMIT_RANGES = {
  perSource: { flag: '--unauthenticated-max-per-source', min: 1, max: 1_000_000 },
  overall: { flag: '--unauthenticated-max', min: 1, max: 1_000_000 },
} as const;

/**
 * The limits, each checked against {@link CONNECTION_LIMIT_RANGES}.
 * @throws RiposteError REQUEST_INVALID naming the flag, the value and the accepted range
 */
export function checkConnectionLimits(limits: ConnectionLimits): ConnectionLimits {
  for (const name of ['perSource', 'overall'] as const) {
    const v = limits[name];
    const { flag, min, max } = CONNECTION_LIMIT_RANGES[name];
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new RiposteError(
        ErrorCode.REQUEST_INVALID,
        `${flag}: ${String(v)} is not an integer from ${min} to ${max}`,
      );
    }
  }
  return Object.freeze({ ...limits });
}

export class ConnectionQuota {
  private readonly bySource = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS) {}

  /** Takes a slot for a new connection from `source`; false (nothing taken) when either limit is reached. */
  take(source: string): boolean {
    const held = this.bySource.get(source) ?? 0;
    if (held >= this.limits.perSource || this.total >= this.limits.overall) {
      return false;
    }
    this.bySource.set(source, held + 1);
    this.total += 1;
    return true;
  }

  /** Gives back one slot `take` gave `source`. Memory: a source holding none is forgotten. */
  give(source: string): void {
    const held = this.bySource.get(source) ?? 0;
    if (held <= 0) {
      return;
    }
    this.total -= 1;
    if (held === 1) {
      this.bySource.delete(source);
    } else {
      this.bySource.set(source, held - 1);
    }
  }

  /** Slots held in all, and by how many sources. */
  get held(): { readonly connections: number; readonly sources: number } {
    return { connections: this.total, sources: this.bySource.size };
  }
}
