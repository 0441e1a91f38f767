/**
 * The API's `application/json` body parser: fastify's own (prototype-poisoning checks included),
 * behind the API body bounds of json-bounds.ts (1 MiB, nesting ALERT_MAX_DEPTH + 1), checked on
 * the raw text BEFORE parsing. A body over a bound is a 400 REQUEST_INVALID naming the bound,
 * counted in `riposte_input_rejected_total{entry="api"}`: never a 500 from a stack overflow in
 * validation, serialisation or the AR message rewrite.
 */
import type { FastifyInstance } from 'fastify';
import { recordRejection } from '../protocol/input-rejections.js';
import { checkJsonBounds, describeViolation, INPUT_BOUNDS } from '../protocol/json-bounds.js';

/** A client error fastify's error handler keeps as a 400. */
function badRequest(message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: 400 });
}

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const violation = checkJsonBounds(text, INPUT_BOUNDS.apiBody);
    if (violation) {
      recordRejection('api', violation.kind);
      done(badRequest(`Request body is ${describeViolation(violation)}`), undefined);
      return;
    }
    void parseJson(request, text, done);
  });
}
