/**
 * Safe display of attacker-controlled alert values inside reasons and CLI output: JSON-quoted (so
 * control characters and newlines cannot forge output lines) and capped in length.
 *
 * Pure: no I/O.
 */

/** Characters of a value shown before it is cut. */
export const QUOTE_MAX_CHARS = 64;

/** `"value"` JSON-escaped; values longer than {@link QUOTE_MAX_CHARS} are cut and their length given. */
export function quoteValue(value: string): string {
  if (value.length <= QUOTE_MAX_CHARS) {
    return JSON.stringify(value);
  }
  return `${JSON.stringify(value.slice(0, QUOTE_MAX_CHARS))}... (${value.length} chars)`;
}
