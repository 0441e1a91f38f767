/**
 * A warning for a `<repeated_offenders>` list under which a repeat offender would be blocked for
 * less time than before. Wazuh's execd uses the values as given (reference §2.5: "the 2nd offence
 * can be *shorter* than the base timeout; values are not validated for monotonicity"), and so does
 * Riposte; but the list exists to block those who come back for longer, so a file whose list
 * shortens a block is most likely a mistake (`30,120,1440` beside a one-hour response, say): the
 * loader says so, once, and loads the file.
 */
import type { ArRule } from '../core/config-model.js';
import type { Diagnostics } from './diagnostics.js';
import { offenderTimeout } from '../core/execd/repeated-offenders.js';

/** A repeat offence whose block is shorter than the one before it. */
export interface ShorterRepeat {
  /** 2 for the second offence (the list's first value), 3 for the third... */
  readonly offence: number;
  readonly seconds: number;
  /** The block of the offence before it: the response's own timeout for the 2nd. */
  readonly previousSeconds: number;
}

/**
 * The first repeat offence of a response with `timeoutSec` whose block is shorter than the one
 * before it, with `minutes` the leading non-zero values of the list; undefined when the blocks
 * never shrink (equal is fine) or the response is not stateful. Each block is execd's own
 * (`offenderTimeout`); past the list's end the last value repeats, so the list bounds the walk.
 */
export function firstShorterRepeat(
  timeoutSec: number,
  minutes: readonly number[],
): ShorterRepeat | undefined {
  let previousSeconds = timeoutSec;
  for (let seen = 1; seen <= minutes.length; seen++) {
    const block = offenderTimeout(timeoutSec, seen, minutes);
    if (!block.escalated) {
      return undefined; // a stateless response, or no list
    }
    if (block.timeoutSec < previousSeconds) {
      return { offence: seen + 1, seconds: block.timeoutSec, previousSeconds };
    }
    previousSeconds = block.timeoutSec;
  }
  return undefined;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** "1800 s (30 min)", "90 s" */
function span(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds} s (${seconds / 60} min)` : `${seconds} s`;
}

/**
 * Warns at `line` (the `<repeated_offenders>` element) when the list shortens the block of an
 * enabled stateful response among `rules`: the first such response is named, the others counted.
 */
export function warnShorterRepeats(
  line: number,
  minutes: readonly number[],
  rules: readonly ArRule[],
  diag: Diagnostics,
): void {
  const hits = rules.flatMap((rule) => {
    const repeat = rule.disabled ? undefined : firstShorterRepeat(rule.timeout, minutes);
    return repeat === undefined ? [] : [{ rule, repeat }];
  });
  const first = hits[0];
  if (first === undefined) {
    return;
  }
  const { rule, repeat } = first;
  const others = hits.length - 1;
  diag.warn(
    line,
    `repeated_offenders: the ${ordinal(repeat.offence)} offence of ${rule.arName} (line ${rule.line}) ` +
      `would be blocked for ${span(repeat.seconds)}, less than the ${span(repeat.previousSeconds)} ` +
      `of the offence before it${others > 0 ? ` (and so for ${others} more active response${others > 1 ? 's' : ''})` : ''}. ` +
      'As in Wazuh, the values are used as given: for blocks that grow, give minutes no shorter than ' +
      'every timeout, each value no shorter than the one before.',
  );
}
