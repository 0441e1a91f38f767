import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideStartOffset,
  decodeTailPosition,
  encodeTailPosition,
  resumedSignature,
  type StartContext,
} from '../../../src/ingest/tail-position.js';

const file = { dev: 1, ino: 10, size: 500 };

void describe('decideStartOffset', () => {
  const cases: { name: string; ctx: StartContext; want: number }[] = [
    {
      name: 'resumes at a saved offset of the same file',
      ctx: { saved: { dev: 1, ino: 10, offset: 120 }, atStart: file, startAt: 'end' },
      want: 120,
    },
    {
      name: 'resumes at a saved offset equal to the size',
      ctx: { saved: { dev: 1, ino: 10, offset: 500 }, atStart: file, startAt: 'end' },
      want: 500,
    },
    {
      name: 'starts at 0 when the file was truncated while down',
      ctx: { saved: { dev: 1, ino: 10, offset: 501 }, atStart: file, startAt: 'end' },
      want: 0,
    },
    {
      name: 'starts at 0 when the file was rotated while down (other inode)',
      ctx: { saved: { dev: 1, ino: 11, offset: 120 }, atStart: file, startAt: 'end' },
      want: 0,
    },
    {
      name: 'starts at 0 when the file is on another device',
      ctx: { saved: { dev: 2, ino: 10, offset: 120 }, atStart: file, startAt: 'end' },
      want: 0,
    },
    {
      name: 'no saved position, existing file, startAt end: at the end',
      ctx: { saved: undefined, atStart: file, startAt: 'end' },
      want: 500,
    },
    {
      name: 'no saved position, existing file, startAt beginning: at 0',
      ctx: { saved: undefined, atStart: file, startAt: 'beginning' },
      want: 0,
    },
    {
      name: 'no saved position, file appeared after start: at 0 even with startAt end',
      ctx: { saved: undefined, atStart: undefined, startAt: 'end' },
      want: 0,
    },
    {
      name: 'no saved position, another file existed at start: at 0',
      ctx: { saved: undefined, atStart: { dev: 1, ino: 9, size: 100 }, startAt: 'end' },
      want: 0,
    },
    {
      name: 'no saved position, startAt end: the size at start, not the current size',
      ctx: { saved: undefined, atStart: { dev: 1, ino: 10, size: 42 }, startAt: 'end' },
      want: 42,
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      assert.equal(decideStartOffset(file, c.ctx), c.want);
    });
  }

  void test('the saved signature applies only when resuming at its offset in its file', () => {
    const saved = { dev: 1, ino: 10, offset: 120, sig: 'ab'.repeat(16) };
    assert.equal(resumedSignature(file, saved, 120), saved.sig);
    assert.equal(resumedSignature(file, saved, 0), undefined, 'rewound');
    assert.equal(resumedSignature({ ...file, ino: 11 }, saved, 120), undefined, 'another file');
    assert.equal(resumedSignature(file, { dev: 1, ino: 10, offset: 120 }, 120), undefined, 'unsigned');
    assert.equal(resumedSignature(file, undefined, 120), undefined);
  });
});

void describe('tail position encoding', () => {
  void test('round-trips through a string setting', () => {
    const pos = { dev: 65024, ino: 2_146_882, offset: 48_020 };
    assert.deepStrictEqual(decodeTailPosition(encodeTailPosition(pos)), pos);
    const signed = { ...pos, sig: '0123456789abcdef0123456789abcdef' };
    assert.deepStrictEqual(decodeTailPosition(encodeTailPosition(signed)), signed);
  });

  void test('a malformed signature alone is dropped: the offset is kept, unchecked', () => {
    for (const sig of ['"ABC"', '"0123456789abcdef"', '42', 'null']) {
      const text = `{"dev":1,"ino":2,"offset":3,"sig":${sig}}`;
      assert.deepStrictEqual(decodeTailPosition(text), { dev: 1, ino: 2, offset: 3 }, text);
    }
  });

  void test('anything malformed decodes to "no saved position"', () => {
    for (const text of [
      undefined,
      '',
      'garbage',
      'null',
      '[]',
      '{"dev":1,"ino":2}',
      '{"dev":1,"ino":2,"offset":-1}',
      '{"dev":"1","ino":2,"offset":3}',
      '{"dev":1,"ino":2,"offset":1.5}',
    ]) {
      assert.equal(decodeTailPosition(text), undefined, String(text));
    }
  });
});
