/**
 * Words for a request that failed its JSON schema, built from ajv's first error. Fastify's own
 * message names neither the unknown field ("querystring must NOT have additional properties") nor
 * the accepted values ("must be equal to one of the allowed values"), and shows a pattern as a
 * regular expression; these say what to send instead. Undefined when there is nothing better to
 * say than fastify's message (the caller keeps it).
 */
import {
  ACTIVE_KEY,
  AGENT_ID,
  AGENT_LIST,
  AGENT_NAME,
  AR_COMMAND,
  ID_CURSOR,
  LIMIT,
  NAME,
  PAGE_CURSOR,
  RECENT_LIMIT,
  TOKEN_ID,
} from './schemas.js';

/** One ajv error, as fastify hands it over (`err.validation`). */
export interface SchemaError {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** The shared patterns (schemas.ts), in words. */
const PATTERN_WORDS = new Map<string, string>([
  [LIMIT.pattern, 'a whole number from 1 to 1000'],
  [AGENT_ID.pattern, 'an agent id of 3 to 8 digits (001)'],
  [AGENT_LIST.pattern, 'agent ids of 3 to 8 digits separated by commas (001,002)'],
  [ACTIVE_KEY.pattern, 'text without control characters'],
  [AGENT_NAME.pattern, '1 to 128 letters, digits, ".", "_" or "-"'],
  [NAME.pattern, '1 to 64 letters, digits, "_", ".", "@" or "-"'],
  [TOKEN_ID.pattern, 'a token id of 12 hex digits, as the token list shows it'],
  [PAGE_CURSOR.pattern, 'the cursor a previous page gave (letters, digits, "_" or "-")'],
  [ID_CURSOR.pattern, 'the cursor a previous page gave (an execution id)'],
  [RECENT_LIMIT.pattern, 'a whole number from 1 to 999'],
  [AR_COMMAND.pattern, 'a command name, "!" and a script name, or empty; no ".." and no leading "/"'],
]);

const PLACES: Readonly<Record<string, string>> = {
  querystring: 'query parameter',
  body: 'body field',
  params: 'path parameter',
  headers: 'header',
};

/** `/alert/data` -> `alert.data` */
function dotted(instancePath: string | undefined): string {
  return (instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
}

function param(e: SchemaError, key: string): unknown {
  return e.params?.[key];
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The message for `errors` (fastify's `err.validation`) in `context` (`err.validationContext`). */
export function validationMessage(
  context: string | undefined,
  errors: readonly SchemaError[],
): string | undefined {
  const e = errors[0];
  if (e === undefined) {
    return undefined;
  }
  const place = PLACES[context ?? ''] ?? 'field';
  const path = dotted(e.instancePath);
  const named = `${place} '${path}'`;
  const child = (name: unknown): string => `${place} '${path === '' ? '' : `${path}.`}${String(name)}'`;
  switch (e.keyword) {
    case 'additionalProperties':
      return `Unknown ${child(param(e, 'additionalProperty'))}`;
    case 'required':
      return `Missing ${child(param(e, 'missingProperty'))}`;
    case 'enum': {
      const allowed = param(e, 'allowedValues');
      return Array.isArray(allowed)
        ? `${capitalised(named)} must be one of: ${allowed.map(String).join(', ')}`
        : undefined;
    }
    case 'pattern': {
      const words = PATTERN_WORDS.get(String(param(e, 'pattern')));
      return words === undefined ? undefined : `${capitalised(named)} must be ${words}`;
    }
    case undefined:
    default:
      return undefined;
  }
}
