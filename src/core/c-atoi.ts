/**
 * C's `atoi`, which Wazuh uses for most numbers it reads (timeouts, agent ids, ar.conf, rules_id):
 * leading whitespace skipped, an optional sign, then decimal digits up to the first non-digit.
 * No digits gives 0. Unlike C, overflow does not wrap: the value saturates to the int32 range.
 */
export function atoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(text);
  const digits = m?.[2] ?? '';
  if (digits === '') {
    return 0;
  }
  const value = Number(digits.length > 12 ? '9999999999999' : digits);
  const signed = m?.[1] === '-' ? -value : value;
  return Math.max(-2147483648, Math.min(2147483647, signed));
}
