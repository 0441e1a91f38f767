/**
 * Repeated-offender timeouts (reference §2.5), pure.
 *
 * `values` are minutes (at most 5 leading non-zero values; the compiled config already trimmed them).
 * The count is how many adds were seen for the rkey before this one (0 = first offence).
 * First offence: the AR's own timeout; (n+2)-th: values[n] * 60; beyond the list: the last value.
 * Counted on every add with a non-zero AR timeout, even while the response is still active.
 */

export interface OffenderTimeout {
  /** Seconds to use for this add. */
  readonly timeoutSec: number;
  /** Count to store for the rkey after this add. */
  readonly nextCount: number;
  /** True when the repeated-offender list changed the timeout. */
  readonly escalated: boolean;
}

export function offenderTimeout(
  arTimeoutSec: number,
  previousCount: number,
  values: readonly number[],
): OffenderTimeout {
  const firstZero = values.findIndex((v) => v <= 0);
  const list = firstZero < 0 ? values : values.slice(0, firstZero);
  if (list.length === 0 || arTimeoutSec === 0) {
    return { timeoutSec: arTimeoutSec, nextCount: previousCount, escalated: false };
  }
  if (previousCount === 0) {
    return { timeoutSec: arTimeoutSec, nextCount: 1, escalated: false };
  }
  const index = Math.min(previousCount - 1, list.length - 1);
  return { timeoutSec: (list[index] ?? 0) * 60, nextCount: previousCount + 1, escalated: true };
}

/** True when `values` has a leading non-zero value: only then does offenderTimeout count adds. */
export function hasOffenderList(values: readonly number[]): boolean {
  return values.length > 0 && (values[0] ?? 0) > 0;
}
