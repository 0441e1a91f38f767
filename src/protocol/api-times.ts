/**
 * Times on the wire of Riposte's APIs: ISO-8601 UTC strings ("2026-11-30T08:00:00.000Z"), while
 * the records and the stores keep epoch milliseconds. The conversion happens in ONE place, the
 * API edge: each API's serializer hook (manager-api/api-serializer.ts, api/build-agent-api.ts),
 * the execution stream (SSE) and the downloads run their answers through {@link toApiTimes}.
 *
 * Which fields are times, by name: every field whose name ends in `At` (createdAt, expiresAt,
 * startedAt, lastUsedAt, ...) plus {@link TIME_FIELDS} (names kept for their readers: `lastSeen`,
 * and the overview chart's `minutes`). A number (or an array of numbers) under such a name becomes
 * ISO; anything else is left as it is, and so is a field in {@link OPAQUE_FIELDS} (an alert as
 * Wazuh wrote it, whatever its own fields are called). Durations keep their unit in the name (`timeoutSec`,
 * `durationMs`) and stay numbers. Wazuh's API has no epoch fields in the routes Riposte serves
 * (`PUT /active-response` answers no time), so no epoch field is kept for compatibility.
 */

/** Time fields whose names do not end in `At`. */
export const TIME_FIELDS: ReadonlySet<string> = new Set(['lastSeen', 'minutes']);

/** Fields holding data Riposte did not shape (a whole Wazuh alert): passed through untouched. */
export const OPAQUE_FIELDS: ReadonlySet<string> = new Set(['alert']);

/** True when a field of this name holds a time. */
export const isTimeField = (name: string): boolean => name.endsWith('At') || TIME_FIELDS.has(name);

type TimeName = `${string}At` | 'lastSeen' | 'minutes';

/** The wire shape of a record: its time fields as ISO strings, recursively. */
export type ApiTimes<T> = T extends number | string | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? ApiTimes<U>[]
    : { [K in keyof T]: K extends 'alert' ? T[K] : K extends TimeName ? TimeOf<T[K]> : ApiTimes<T[K]> };

type TimeOf<V> = V extends number ? string : V extends readonly number[] ? string[] : ApiTimes<V>;

/** ISO-8601 UTC of epoch ms. */
export const isoOf = (ms: number): string => new Date(ms).toISOString();

function timeValue(v: unknown): unknown {
  if (typeof v === 'number' && Number.isFinite(v)) {
    return isoOf(v);
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
    return v.map((x: number) => isoOf(x));
  }
  return toApiTimes(v);
}

/**
 * A copy of `value` with every time field as ISO-8601 (see the module comment). Plain objects and
 * arrays are walked; other values (strings, numbers, Buffers, ...) are returned unchanged.
 */
export function toApiTimes<T>(value: T): ApiTimes<T> {
  if (Array.isArray(value)) {
    return value.map((v: unknown) => toApiTimes(v)) as ApiTimes<T>;
  }
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) {
    return value as ApiTimes<T>;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = OPAQUE_FIELDS.has(k) ? v : isTimeField(k) ? timeValue(v) : toApiTimes(v);
  }
  return out as ApiTimes<T>;
}

/**
 * Epoch ms of a time as a client passes it in a query parameter: ISO 8601, or a decimal epoch-ms
 * string (accepted as before). NaN when it is neither.
 */
export function parseApiTime(text: string): number {
  return /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
}
