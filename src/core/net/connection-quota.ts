/**
 * How many connections the manager's TLS port (API, `/enroll`, agents' `/link`) holds that are not
 * linked agents: those still in their TLS handshake, API, console and enrolling clients, and any
 * connection not (yet) authenticated on `/link`. Anyone who reaches the port can open them, and
 * each holds a file descriptor and TLS state: unbounded, a few hosts could exhaust the manager's
 * descriptors and keep every agent from reconnecting.
 *
 * So at most `perSource` are held per source (an IPv4 address, an IPv6 /64: traffic-source.ts)
 * and `overall` in all. At a limit, a newcomer makes room by evicting the oldest connection of its
 * own source (per-source limit) or of the source holding the most (overall limit) when that one
 * has been held for `minAgeMs`; otherwise the newcomer is refused. Refusing alone would let a few
 * sources fill the limits with idle connections and shut out every agent reconnecting (a
 * connection cannot be told to be an agent's before its certificate is checked); evicting alone
 * made a burst of agents from one NAT address evict each other mid-handshake (717 evictions and a
 * failover 2 s slower in the cluster benchmark, whose 5,000 agents share 127.0.0.1). An agent is
 * linked well within `minAgeMs`, so what is evicted is what stays without authenticating, and a
 * source that wants to keep its slots must open them again faster than `minAgeMs`. A linked agent
 * gives its slot back (`give`) and is bounded by enrollment, not by this quota.
 *
 * Pure: a structure of handles, the clock passed in (link/connection-gate.ts closes the evicted).
 */
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';

/** Configurable on `riposte manager` (--unauthenticated-max-per-source, --unauthenticated-max). */
export interface ConnectionLimits {
  readonly perSource: number;
  readonly overall: number;
  /** Least time a connection is held before a newcomer may evict it, ms. @default MIN_AGE_MS */
  readonly minAgeMs?: number;
}

/** 10 s: an agent's handshake and `/link` authentication take milliseconds, seconds on a busy node. */
export const MIN_AGE_MS = 10_000;

/**
 * 1,024 per source: a site whose agents share one NAT address reconnects them all after a manager
 * restart, each unauthenticated for milliseconds (one refused retries after its backoff); 8,192 in
 * all (~40 KB of TLS state each, ~330 MB at worst).
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

/** What `take` decided: the newcomer refused, or held (with the connection evicted for it, if any). */
export type Admission<H> =
  { readonly held: false } | { readonly held: true; readonly evicted: H | undefined };

interface Held {
  readonly source: string;
  readonly at: number;
}

/** The connections `H` (compared by identity) held per source, oldest first. */
export class ConnectionQuota<H> {
  private readonly bySource = new Map<string, Set<H>>();
  private readonly entries = new Map<H, Held>();

  constructor(private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS) {}

  /**
   * Holds `handle` for `source` at `now`, unless a limit is reached and the connection that would
   * make room (see the module comment) is younger than `minAgeMs`: then the newcomer is refused.
   * An evicted connection holds no slot any more; the caller closes it.
   */
  take(source: string, handle: H, now: number): Admission<H> {
    const own = this.bySource.get(source);
    let evicted: H | undefined;
    if (own !== undefined && own.size >= this.limits.perSource) {
      evicted = oldest(own);
    } else if (this.entries.size >= this.limits.overall) {
      evicted = oldest(this.largest());
    }
    if (evicted !== undefined) {
      const since = this.entries.get(evicted)?.at ?? now;
      if (now - since < (this.limits.minAgeMs ?? MIN_AGE_MS)) {
        return { held: false };
      }
      this.give(evicted);
    }
    const set = this.bySource.get(source) ?? new Set<H>();
    set.add(handle);
    this.bySource.set(source, set);
    this.entries.set(handle, { source, at: now });
    return { held: true, evicted };
  }

  /** Gives back `handle`'s slot (a no-op when it holds none). A source holding none is forgotten. */
  give(handle: H): void {
    const source = this.entries.get(handle)?.source;
    if (source === undefined) {
      return;
    }
    this.entries.delete(handle);
    const set = this.bySource.get(source);
    set?.delete(handle);
    if (set?.size === 0) {
      this.bySource.delete(source);
    }
  }

  /** Slots held in all, and by how many sources. */
  get held(): { readonly connections: number; readonly sources: number } {
    return { connections: this.entries.size, sources: this.bySource.size };
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
