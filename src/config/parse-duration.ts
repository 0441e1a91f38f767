/**
 * Parses an `<active-response><timeout>` value into seconds. Wazuh reads it with `atoi` (`10s` is 10,
 * `5m` is 5, `abc` is 0, negatives pass). Riposte accepts a number of seconds or a number with a unit
 * (`s`, `m`, `h`, `d`) and rejects anything else, including negatives: a documented difference
 * (docs/compatibility.md), because a silently-zero timeout makes a block permanent.
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** Largest timeout accepted, in seconds: Wazuh stores timeouts as C ints. */
export const MAX_TIMEOUT_SECONDS = 2147483647;

/** Seconds for `600`, `10s`, `5m`, `1h`, `2d`; undefined when the text is anything else. */
export function parseTimeoutSeconds(text: string): number | undefined {
  const m = /^(\d{1,10})([smhd]?)$/.exec(text.trim());
  if (!m) {
    return undefined;
  }
  const seconds = Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? 1);
  return seconds <= MAX_TIMEOUT_SECONDS ? seconds : undefined;
}
