/**
 * JSON value types and the lenient parser Wazuh's execd uses.
 *
 * Pure: no I/O. Objects keep their key order (JavaScript keeps insertion order for non-integer
 * keys), which is what lets Riposte rewrite an AR message "in place" the way execd does.
 */

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `obj.a.b.c`; undefined when any step is missing or not an object. */
export function getPath(obj: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = obj;
  for (const key of path) {
    if (!isJsonObject(cur)) {
      return undefined;
    }
    cur = cur[key];
  }
  return cur;
}

/** Reads a string at `path`, undefined when absent or not a string. */
export function getString(obj: JsonValue | undefined, path: readonly string[]): string | undefined {
  const v = getPath(obj, path);
  return typeof v === 'string' ? v : undefined;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Scanner state for {@link endOfFirstContainer}: bracket depth and whether inside a string. */
interface ScanState {
  depth: number;
  inString: boolean;
}

/** Advances the scan by one character; returns the new index, or -1 when the text cannot be a container. */
function scanChar(text: string, i: number, st: ScanState): number {
  const c = text.charCodeAt(i);
  if (st.inString) {
    if (c === 0x5c /* \ */) {
      return i + 2;
    }
    st.inString = c !== 0x22;
    return i + 1;
  }
  if (c === 0x22) {
    st.inString = true;
  } else if (c === 0x7b || c === 0x5b) {
    st.depth++;
  } else if (c === 0x7d || c === 0x5d) {
    st.depth--;
  } else if (st.depth === 0 && !WHITESPACE.has(c)) {
    return -1;
  }
  return st.depth < 0 ? -1 : i + 1;
}

/**
 * Index one past the end of the first complete JSON object or array in `text` (leading whitespace
 * allowed), or -1 when there is none. Scans brackets and strings only; the caller still runs
 * JSON.parse on the prefix, which does the real validation.
 */
function endOfFirstContainer(text: string): number {
  const st: ScanState = { depth: 0, inString: false };
  let i = 0;
  while (i >= 0 && i < text.length) {
    const wasOpen = st.depth > 0;
    i = scanChar(text, i, st);
    if (wasOpen && st.depth === 0 && !st.inString) {
      return i;
    }
  }
  return -1;
}

/**
 * cJSON_Parse semantics: parse the first complete JSON object or array and ignore whatever follows
 * it (execd relies on this for the API's restart message, which carries trailing text).
 * Returns undefined when no complete value can be parsed.
 */
export function parseLenientJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    const end = endOfFirstContainer(text);
    if (end < 0) {
      return undefined;
    }
    try {
      return JSON.parse(text.slice(0, end)) as JsonValue;
    } catch {
      return undefined;
    }
  }
}
