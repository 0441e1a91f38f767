import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CappedBuffer } from '../../../src/exec/capped-buffer.js';
import { FirstLineReader } from '../../../src/exec/line-reader.js';
import { TailBuffer } from '../../../src/exec/tail-buffer.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

void describe('CappedBuffer', () => {
  void test('keeps the first limit bytes across chunks and counts the dropped ones', () => {
    const buf = new CappedBuffer(5);
    for (const chunk of ['ab', 'cd', 'efg', 'hij']) {
      buf.push(b(chunk));
    }
    assert.equal(buf.text(), 'abcde');
    assert.equal(buf.droppedBytes, 5);
  });

  void test('limit 0 keeps nothing', () => {
    const buf = new CappedBuffer(0);
    buf.push(b('abc'));
    assert.equal(buf.text(), '');
    assert.equal(buf.droppedBytes, 3);
  });
});

void describe('TailBuffer', () => {
  void test('keeps the last limit bytes across many small and large chunks', () => {
    const tail = new TailBuffer(4);
    for (const chunk of ['ab', 'cd', 'ef', 'g']) {
      tail.push(b(chunk));
    }
    assert.equal(tail.text(), 'defg');
    tail.push(b('0123456789'));
    assert.equal(tail.text(), '6789');
    tail.push(b('x'));
    assert.equal(tail.text(), '789x');
  });

  void test('shorter input is kept whole; limit 0 keeps nothing', () => {
    const tail = new TailBuffer(100);
    tail.push(b('short'));
    assert.equal(tail.text(), 'short');
    const none = new TailBuffer(0);
    none.push(b('abc'));
    assert.equal(none.text(), '');
  });
});

void describe('FirstLineReader', () => {
  void test('assembles a line split across chunks and drops what follows', async () => {
    const r = new FirstLineReader(100);
    r.push(b('{"comm'));
    r.push(b('and":"check_keys"}\nsecond line\n'));
    r.push(b('third\n'));
    r.end();
    assert.deepEqual(await r.read(10), { kind: 'line', line: '{"command":"check_keys"}' });
    assert.deepEqual(await r.read(10), { kind: 'eof' });
  });

  void test('cuts at maxLineBytes without waiting for a newline', async () => {
    const r = new FirstLineReader(4);
    r.push(b('abcdefgh'));
    assert.deepEqual(await r.read(10), { kind: 'line', line: 'abcd' });
  });

  void test('EOF: partial bytes form the line; no bytes is eof; an empty line is a line', async () => {
    const partial = new FirstLineReader(10);
    partial.push(b('part'));
    partial.end();
    assert.deepEqual(await partial.read(10), { kind: 'line', line: 'part' });
    const empty = new FirstLineReader(10);
    empty.end();
    assert.deepEqual(await empty.read(10), { kind: 'eof' });
    const blank = new FirstLineReader(10);
    blank.push(b('\nmore'));
    assert.deepEqual(await blank.read(10), { kind: 'line', line: '' });
  });

  void test('a waiting read resolves when the line arrives; a timed-out read consumes nothing', async () => {
    const r = new FirstLineReader(100);
    assert.deepEqual(await r.read(5), { kind: 'timeout' });
    const pending = r.read(5000);
    r.push(b('late\n'));
    assert.deepEqual(await pending, { kind: 'line', line: 'late' });
  });
});
