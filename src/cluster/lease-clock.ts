/**
 * The time rules of the timers' lease (pg-lease.ts), apart from any I/O so they can be checked
 * alone. The database decides who holds the lease, by its own clock (`expires_at`); a node decides
 * for how long it may still act as the holder by its monotonic clock alone, counted from the moment
 * it SENT its last successful renew. The database set `expires_at` (its clock at the statement +
 * ttl) later than that moment, so the node always stops believing a little before the database
 * lets another node in, whatever the node's wall clock says and however long it was paused.
 */

/** The lease's periods, ms, validated. */
export interface LeaseTimes {
  /** Renew (or try to take) period. */
  readonly everyMs: number;
  /** How long past its statement a renew keeps the lease in the database. */
  readonly ttlMs: number;
  /** Taken off the ttl on the node's side: the database's clock may run a little ahead of it. */
  readonly marginMs: number;
}

/** @default every 2 s */
export const DEFAULT_LEASE_EVERY_MS = 2_000;
/** Default ttl, in renew periods: a leader survives a few slow or failed renews. */
export const DEFAULT_TTL_PERIODS = 5;
/** The safety margin, as a share of the ttl: room for clock rate differences and small steps. */
export const MARGIN_SHARE = 0.1;

/**
 * The lease's periods from its options. The ttl defaults to DEFAULT_TTL_PERIODS periods, so any
 * valid period has a valid default ttl.
 * @throws RangeError when a period is not a positive finite number, or the ttl is under two
 *   periods (a leader must outlast one lost renew, or it would step down at every slow one)
 */
export function leaseTimes(opts: { readonly everyMs?: number; readonly ttlMs?: number }): LeaseTimes {
  const everyMs = opts.everyMs ?? DEFAULT_LEASE_EVERY_MS;
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_PERIODS * everyMs;
  if (!(Number.isFinite(everyMs) && everyMs > 0)) {
    throw new RangeError(`lease everyMs must be a positive number of ms, not ${everyMs}`);
  }
  if (!(Number.isFinite(ttlMs) && ttlMs >= 2 * everyMs)) {
    throw new RangeError(`lease ttlMs (${ttlMs}) must be at least twice everyMs (${everyMs})`);
  }
  return { everyMs, ttlMs, marginMs: ttlMs * MARGIN_SHARE };
}

/**
 * Whether the node may still act as the lease holder at monotonic time `now`, its last successful
 * renew having been sent at `renewSentAt` (undefined: none since it last lost the lease).
 */
export function leaseHeld(renewSentAt: number | undefined, times: LeaseTimes, now: number): boolean {
  return renewSentAt !== undefined && now < renewSentAt + times.ttlMs - times.marginMs;
}
