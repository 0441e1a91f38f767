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

/** Page size of list endpoints. */
export const LIMIT = { type: 'integer', minimum: 1, maximum: 1000, default: 100 } as const;

/** An active-response key (rkey): any text without control characters, 1-512 characters. */
export const ACTIVE_KEY = {
  type: 'string',
  minLength: 1,
  maxLength: 512,
  pattern: '^[^\\u0000-\\u001f]+$',
} as const;

/** A name for a token or an agent: letters, digits, "_", ".", "@", "-". */
export const NAME = { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,64}$' } as const;

/** A lifetime in seconds (1 s to 10 years). */
export const TTL_SECONDS = { type: 'integer', minimum: 1, maximum: 315_360_000 } as const;

/** An object schema that refuses unknown properties. */
export function strictObject(
  properties: Record<string, unknown>,
  required: readonly string[] = [],
): Record<string, unknown> {
  return { type: 'object', properties, required: [...required], additionalProperties: false };
}
