/** What a schema failure says (validation-message.ts): the field by name, what to send instead. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validationMessage } from '../../../src/manager-api/validation-message.js';
import { LIMIT } from '../../../src/manager-api/schemas.js';

void test('a nested unknown or missing field is named by its dotted path', () => {
  assert.equal(
    validationMessage('body', [
      { instancePath: '/alert/data', keyword: 'additionalProperties', params: { additionalProperty: 'x' } },
    ]),
    "Unknown body field 'alert.data.x'",
  );
  assert.equal(
    validationMessage('body', [
      { instancePath: '/alert', keyword: 'required', params: { missingProperty: 'rule' } },
    ]),
    "Missing body field 'alert.rule'",
  );
});

void test('an enum lists its values; a shared pattern is said in words', () => {
  assert.equal(
    validationMessage('querystring', [
      { instancePath: '/status', keyword: 'enum', params: { allowedValues: ['ok', 'failed'] } },
    ]),
    "Query parameter 'status' must be one of: ok, failed",
  );
  assert.equal(
    validationMessage('querystring', [
      { instancePath: '/limit', keyword: 'pattern', params: { pattern: LIMIT.pattern } },
    ]),
    "Query parameter 'limit' must be a whole number from 1 to 1000",
  );
});

void test("nothing better to say: undefined, and the caller keeps fastify's message", () => {
  assert.equal(
    validationMessage('body', [{ instancePath: '/command', keyword: 'pattern', params: { pattern: '^x$' } }]),
    undefined,
  );
  assert.equal(
    validationMessage('body', [{ instancePath: '/n', keyword: 'type', params: { type: 'string' } }]),
    undefined,
  );
  assert.equal(validationMessage('body', []), undefined);
});
