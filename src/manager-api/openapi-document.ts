/**
 * The OpenAPI document of the manager's REST API, kept in the repository at
 * `openapi/riposte.json` and served as-is by `GET /openapi.json`. A test checks that it describes
 * exactly the routes the API registers (plus the operations marked `x-riposte-served-by: link`,
 * which the link layer serves on the same port).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { isJsonObject, type JsonObject } from '../protocol/json.js';

/** The document's path: the repository (or package) root's `openapi/` (this file is at dist/src/manager-api/). */
export const OPENAPI_FILE = fileURLToPath(new URL('../../../openapi/riposte.json', import.meta.url));

let cached: JsonObject | undefined;

/** The parsed document, read once. @throws RiposteError INTERNAL when missing or not a JSON object. */
export function openApiDocument(): JsonObject {
  if (cached) {
    return cached;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
  } catch (err: unknown) {
    throw new RiposteError(
      ErrorCode.INTERNAL,
      `Cannot read the OpenAPI document "${OPENAPI_FILE}": ${String(err)}`,
    );
  }
  if (!isJsonObject(parsed)) {
    throw new RiposteError(ErrorCode.INTERNAL, `The OpenAPI document "${OPENAPI_FILE}" is not a JSON object`);
  }
  cached = parsed;
  return parsed;
}
