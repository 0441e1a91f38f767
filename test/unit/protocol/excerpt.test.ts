/**
 * What a log line or an error quotes of an outside input (json-bounds.ts `excerpt`): capped, its
 * length given when cut, and nothing in it that a terminal reading the log would act on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXCERPT_CHARS, excerpt } from '../../../src/protocol/json-bounds.js';

void test('short text is kept; long text is cut and its length given', () => {
  assert.equal(excerpt('{"id":"a-2",'), '{"id":"a-2",');
  const long = 'x'.repeat(EXCERPT_CHARS + 40);
  assert.equal(excerpt(long), `${'x'.repeat(EXCERPT_CHARS)}... (${String(long.length)} chars)`);
  assert.equal(excerpt('abcdef', 3), 'abc... (6 chars)');
});

void test('C0 and C1 controls, DEL and the bidi marks are escaped; other text is kept', () => {
  assert.equal(
    excerpt('a\u001b[2Jb\u007fc\u009bd\u202ee\u2066f é€🛡'),
    'a\\x1b[2Jb\\x7fc\\x9bd\\u{202e}e\\u{2066}f é€🛡',
  );
});
