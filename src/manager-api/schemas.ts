/**
 * JSON-schema building blocks shared by the route schemas. Every object schema sets
 * `additionalProperties: false`: unknown fields are a 400, never silently dropped (the API is built
 * with ajv's `removeAdditional` off).
 */

/** An agent id as the manager assigns them: "000" (the manager) then "001", "002", ... */
export const AGENT_ID = { type: 'string', pattern: '^[0-9]{3,8}$' } as const;

/** Comma-separated agent ids (Wazuh's `agents_list`), at most 10000 of them. */
export const AGENT_LIST = {
  type: 'string',
  pattern: '^[0-9]{3,8}(,[0-9]{3,8}){0,9999}$',
} as const;

/**
 * Page size of list endpoints, as the query string carries it: 1-1000 in decimal. Query values are
 * strings and the API's ajv does not coerce types (coercion would also turn a body's `5` into
 * `"5"`), so numeric and boolean query parameters are patterns, converted by the route.
 */
export const LIMIT = { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$' } as const;

/** Default page size. */
export const DEFAULT_LIMIT = 100;

/** A boolean query parameter. */
export const QUERY_BOOLEAN = { type: 'string', enum: ['true', 'false'] } as const;

/** The page size of a validated `limit` query value. */
export const limitOf = (limit: string | undefined): number =>
  limit === undefined ? DEFAULT_LIMIT : Number(limit);

/** An active-response key (rkey): any text without control characters, 1-512 characters. */
export const ACTIVE_KEY = {
  type: 'string',
  minLength: 1,
  maxLength: 512,
  pattern: '^[^\\u0000-\\u001f]+$',
} as const;

/** An agent name, as enrollment accepts it (src/manager/enrollment.ts). */
export const AGENT_NAME = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } as const;

/** An API token name: letters, digits, "_", ".", "@", "-". */
export const NAME = { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,64}$' } as const;

/** The id of an API token or an enrollment token: 12 hex digits, as their lists show it. */
export const TOKEN_ID = { type: 'string', pattern: '^[0-9a-f]{12}$' } as const;

/** The opaque cursor of the active list's pages (base64url, as the previous page gave it). */
export const PAGE_CURSOR = {
  type: 'string',
  minLength: 1,
  maxLength: 2048,
  pattern: '^[A-Za-z0-9_-]+$',
} as const;

/** The cursor of the execution history's pages: an execution id, as the previous page gave it. */
export const ID_CURSOR = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;

/** The console's recent lists: 1-999 in decimal. */
export const RECENT_LIMIT = { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } as const;

/**
 * Wazuh's PUT /active-response `command`: empty (Wazuh answers 1650 per agent), or an optional "!"
 * then a relative path without "..".
 */
export const AR_COMMAND = {
  type: 'string',
  maxLength: 255,
  pattern: '^(!?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*)?$',
} as const;

/** A lifetime in seconds (1 s to 10 years). */
export const TTL_SECONDS = { type: 'integer', minimum: 1, maximum: 315_360_000 } as const;

/** An object schema that refuses unknown properties. */
export function strictObject(
  properties: Record<string, unknown>,
  required: readonly string[] = [],
): Record<string, unknown> {
  return { type: 'object', properties, required: [...required], additionalProperties: false };
}
