/**
 * How many connections the manager's TLS port (API, `/enroll`, agents' `/link`) holds that are not
 * linked agents: those still in their TLS handshake, API, console and enrolling clients, and any
 * connection not (yet) authenticated on `/link`. Anyone who reaches the port can open them, and
 * each holds a file descriptor and TLS state: unbounded, a few hosts could exhaust the manager's
 * descriptors and keep every agent from reconnecting.
 *
 * So at most `perSource` are held per source (an IPv4 address, an IPv6 /64: traffic-source.ts)
 * and `overall` in all. A new connection is never refused: it makes room by evicting the oldest
 * connection of its own source when that source is at its limit, else, when the overall limit is
 * reached, the oldest of the source holding the most. Refusing the newcomer instead would let a few
 * sources that fill the limits with idle connections shut out every agent reconnecting, since a
 * connection cannot be told to be an agent's before its handshake; evicting the oldest closes the
 * connections that stay longest without authenticating (an agent's handshake and `/link` upgrade take
 * milliseconds), and a flood evicts its own connections first. A linked agent gives its slot back
 * (`give`) and is bounded by enrollment, not by this quota.
 *
 * Pure: a structure of handles, no sockets, no clock (link/connection-gate.ts closes the evicted).
 */
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';

/** Configurable on `riposte manager` (--unauthenticated-max-per-source, --unauthenticated-max). */
export interface ConnectionLimits {
  readonly perSource: number;
  readonly overall: number;
}

/**
 * 256 per source: a site whose agents share one NAT address reconnects them all after a manager
 * restart, each unauthenticated for milliseconds; 8,192 in all (~40 KB of TLS state each, ~330 MB
 * at worst), so 32 sources at their limit are needed to fill it, and even then newcomers evict the
 * largest source's oldest connections.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perSource: 256, overall: 8_192 };

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

/** The connections `H` (compared by identity) held per source, oldest first. */
export class ConnectionQuota<H> {
  private readonly bySource = new Map<string, Set<H>>();
  private readonly sourceOf = new Map<H, string>();

  constructor(private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS) {}

  /**
   * Holds `handle` for `source`. Returns the connection evicted to make room (the caller closes
   * it; it holds no slot any more), or undefined.
   */
  take(source: string, handle: H): H | undefined {
    const own = this.bySource.get(source);
    let evicted: H | undefined;
    if (own !== undefined && own.size >= this.limits.perSource) {
      evicted = oldest(own);
    } else if (this.sourceOf.size >= this.limits.overall) {
      evicted = oldest(this.largest());
    }
    if (evicted !== undefined) {
      this.give(evicted);
    }
    const set = this.bySource.get(source) ?? new Set<H>();
    set.add(handle);
    this.bySource.set(source, set);
    this.sourceOf.set(handle, source);
    return evicted;
  }

  /** Gives back `handle`'s slot (a no-op when it holds none). A source holding none is forgotten. */
  give(handle: H): void {
    const source = this.sourceOf.get(handle);
    if (source === undefined) {
      return;
    }
    this.sourceOf.delete(handle);
    const set = this.bySource.get(source);
    set?.delete(handle);
    if (set?.size === 0) {
      this.bySource.delete(source);
    }
  }

  /** Slots held in all, and by how many sources. */
  get held(): { readonly connections: number; readonly sources: number } {
    return { connections: this.sourceOf.size, sources: this.bySource.size };
  }

  /** The source holding the most (the first found among equals). */
  private largest(): Set<H> | undefined {
    let max: Set<H> | undefined;
    for (const set of this.bySource.values()) {
      if (max === undefined || set.size > max.size) {
        max = set;
      }
    }
    return max;
  }
}

function oldest<H>(set: Set<H> | undefined): H | undefined {
  return set?.values().next().value;
}
