/**
 * Size and nesting bounds for JSON that comes from outside the process, checked BEFORE parsing.
 *
 * Why: `JSON.parse` copes with deep nesting, but everything after it that walks the value
 * recursively (`JSON.stringify`, the AR message rewrite, schema validation) overflows the stack
 * at a few thousand levels. A value nested 3,000 deep is 6 KB: no size limit alone stops it. The
 * scanner below counts brackets outside strings in one pass, without allocating, so a hostile
 * input costs O(bytes) and is refused before any recursive code sees it.
 *
 * Every entry point has its bounds here (docs/security.md lists them and their tests):
 * execq datagrams, link frames, API bodies, alerts.json lines. Pure: no I/O.
 */
import { printable } from './printable.js';

export interface JsonBounds {
  /** Largest accepted text, in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Deepest accepted nesting of objects and arrays (a flat `{}` is depth 1). */
  readonly maxDepth: number;
}

/**
 * Deepest alert accepted (alerts.json lines, `POST /alerts`, the `alert` of `PUT /active-response`).
 * Real Wazuh alerts nest fewer than 10 levels; an AR message wraps the alert 2 levels deeper.
 */
export const ALERT_MAX_DEPTH = 100;

/** The bounds of each entry point. */
export const INPUT_BOUNDS = {
  /** A Wazuh AR message: one execq datagram (OS_MAXSTR, reference §2.1) or one order's message. */
  arMessage: { maxBytes: 65_536, maxDepth: ALERT_MAX_DEPTH + 28 },
  /** One alerts.json line or one alert of `POST /alerts`. */
  alert: { maxBytes: 1024 * 1024, maxDepth: ALERT_MAX_DEPTH },
  /** One link frame (agent <-> manager); frames carry AR messages as strings, so they are shallow. */
  linkFrame: { maxBytes: 1024 * 1024, maxDepth: 32 },
  /** A JSON API request body (`PUT /active-response`, `POST /alerts`, tokens...). */
  apiBody: { maxBytes: 1024 * 1024, maxDepth: ALERT_MAX_DEPTH + 1 },
} as const satisfies Record<string, JsonBounds>;

export type BoundsViolation =
  | { readonly kind: 'too-large'; readonly bytes: number; readonly max: number }
  | { readonly kind: 'too-deep'; readonly max: number };

/** A one-line reason, e.g. "nested deeper than 100 levels". */
export function describeViolation(v: BoundsViolation): string {
  return v.kind === 'too-deep'
    ? `nested deeper than ${v.max} levels`
    : `larger than ${v.max} bytes (${v.bytes} bytes)`;
}

/**
 * UTF-8 length of `text`, computed only when it could exceed `max` (a UTF-16 unit is at most 3
 * UTF-8 bytes, so a text of `max / 3` units or fewer cannot).
 */
function utf8BytesOver(text: string, max: number): number | undefined {
  if (text.length * 3 <= max) {
    return undefined;
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > max ? bytes : undefined;
}

/**
 * Deepest bracket nesting in `text` outside strings, stopping as soon as it passes `limit` (then
 * returns `limit + 1`). Unbalanced or invalid text is fine: this only bounds, JSON.parse validates.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = endOfString(text, i + 1);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      max = Math.max(max, depth);
      if (max > limit) {
        return max;
      }
    } else if ((c === 0x7d /* } */ || c === 0x5d) /* ] */ && depth > 0) {
      depth--;
    }
  }
  return max;
}

/**
 * Index of the closing quote of the string whose content starts at `i` (or the text's end): the
 * next quote not escaped, i.e. preceded by an even run of backslashes. Found with indexOf rather
 * than char by char: link frames are mostly strings (AR messages, themselves JSON, so escaped).
 */
function endOfString(text: string, i: number): number {
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) {
      return text.length;
    }
    let b = q - 1;
    while (b >= i && text.charCodeAt(b) === 0x5c /* \ */) {
      b--;
    }
    if ((q - 1 - b) % 2 === 0) {
      return q;
    }
    i = q + 1;
  }
}

/**
 * Whether `text` holds at most `limit` opening brackets, anywhere (inside strings too). Nesting
 * can be no deeper than the number of brackets opened, so a text within this count is within the
 * depth bound without the string-aware scan {@link nestingDepth} (char by char in JS): indexOf is a
 * native search. A Wazuh alert line has a few dozen brackets against a bound of 100.
 */
export function fewBrackets(text: string, limit: number): boolean {
  let n = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) {
    if (++n > limit) {
      return false;
    }
  }
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) {
    if (++n > limit) {
      return false;
    }
  }
  return true;
}

/** The first bound `text` breaks, or undefined when it is within both. O(length), no allocation. */
export function checkJsonBounds(text: string, bounds: JsonBounds): BoundsViolation | undefined {
  const bytes = utf8BytesOver(text, bounds.maxBytes);
  if (bytes !== undefined) {
    return { kind: 'too-large', bytes, max: bounds.maxBytes };
  }
  if (fewBrackets(text, bounds.maxDepth)) {
    return undefined;
  }
  return nestingDepth(text, bounds.maxDepth) > bounds.maxDepth
    ? { kind: 'too-deep', max: bounds.maxDepth }
    : undefined;
}

export type BoundedParse =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string; readonly violation: BoundsViolation | undefined };

/** JSON.parse behind {@link checkJsonBounds}; never throws. */
export function parseBoundedJson(text: string, bounds: JsonBounds): BoundedParse {
  const violation = checkJsonBounds(text, bounds);
  if (violation) {
    return { ok: false, error: describeViolation(violation), violation };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${(err as Error).message}`, violation: undefined };
  }
}

/** Characters of an input quoted in a log line or an error (see {@link excerpt}). */
export const EXCERPT_CHARS = 160;

/**
 * A loggable excerpt of an outside input: at most `max` characters, control characters escaped,
 * and the total length when cut ("... (65536 chars)"). A rejected input is never logged in full.
 */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const head = text.length > max ? text.slice(0, max) : text;
  const safe = printable(head);
  return text.length > max ? `${safe}... (${text.length} chars)` : safe;
}
