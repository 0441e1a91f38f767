/**
 * pg-text.ts: what the PostgreSQL store makes of text PostgreSQL cannot hold (a NUL, a lone UTF-16
 * surrogate): U+FFFD, in plain parameters and inside JSON text; everything else passes unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pgJsonText, pgParams, pgText } from '../../../src/store/pg-text.js';

void test('pgText: each NUL and lone surrogate becomes U+FFFD; pairs and other text are kept', () => {
  assert.equal(pgText('a\u0000b\u0000'), 'a\ufffdb\ufffd');
  assert.equal(pgText('x\ud800y\udc00'), 'x\ufffdy\ufffd');
  assert.equal(pgText('\ud83d\ude00 caf\u00e9 \\u0000'), '\ud83d\ude00 caf\u00e9 \\u0000');
  const same = 'plain text';
  assert.equal(pgText(same), same);
});

void test('pgParams: strings and strings inside arrays; numbers, nulls and buffers as given', () => {
  const buf = Buffer.from([0]);
  assert.deepEqual(pgParams(['a\u0000', 7, null, ['b\ud800', 1, null], buf]), [
    'a\ufffd',
    7,
    null,
    ['b\ufffd', 1, null],
    buf,
  ]);
});

void test('pgJsonText: the escapes jsonb refuses are replaced in values and keys, nothing else', () => {
  const value = { stderrTail: 'out\u0000put', user: 'u\udc00', 'k\u0000': ['\ud800', 1, null, true] };
  const text = pgJsonText(JSON.stringify(value));
  assert.deepEqual(JSON.parse(text), {
    stderrTail: 'out\ufffdput',
    user: 'u\ufffd',
    'k\ufffd': ['\ufffd', 1, null, true],
  });
  const clean = JSON.stringify({ a: '\ud83d\ude00', b: 'back\\u0000slash', c: 'd800' });
  assert.equal(pgJsonText(clean), clean, 'a pair and an escaped backslash are kept as they are');
});
