/**
 * What PostgreSQL's text can hold: valid Unicode without NUL. A `text` or `text[]` parameter with
 * a NUL fails (22021), and a `jsonb` value refuses the `\u0000` escape (22P05) and a lone
 * surrogate's `\ud800` (22P02), where SQLite stores all three. An agent's execution record can
 * carry either (a script that writes a NUL byte to stderr), and one refused write rolls back its
 * whole batch, whose agents reconnect and send it again, forever. So every value the PostgreSQL
 * manager store writes or looks up, and the API store's token and audit rows, has each NUL and
 * each lone surrogate replaced by U+FFFD (what pg's UTF-8 encoding stores for a lone surrogate
 * anyway): lookups then find what writes stored. Pure.
 */
import { storableText } from '../protocol/storable-text.js';

/** `s` with each NUL and lone UTF-16 surrogate made U+FFFD (storableText). */
export const pgText = storableText;

/** A statement's parameters, each string and each string of an array made pgText. */
export function pgParams(values: readonly unknown[]): unknown[] {
  return values.map((v) =>
    typeof v === 'string'
      ? pgText(v)
      : Array.isArray(v)
        ? v.map((x: unknown) => (typeof x === 'string' ? pgText(x) : x))
        : v,
  );
}

/**
 * JSON escapes `jsonb` refuses: `\u0000`, and a surrogate's `\udXXX`, which JSON.stringify writes
 * for a lone one only (a pair is written as its characters). A string holding a backslash then
 * "u0000" also matches (as `\\u0000`): such a value only takes the slower path below, unchanged.
 */
const REFUSED_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** JSON text for a `jsonb` parameter: `text` with its strings (keys too) made pgText, if it needs it. */
export function pgJsonText(text: string): string {
  if (!REFUSED_ESCAPE.test(text)) {
    return text;
  }
  return JSON.stringify(clean(JSON.parse(text) as unknown));
}

function clean(v: unknown): unknown {
  if (typeof v === 'string') {
    return pgText(v);
  }
  if (Array.isArray(v)) {
    return v.map(clean);
  }
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [pgText(k), clean(x)]));
  }
  return v;
}
