/**
 * The alerts.json tailer tells its consumer where each line ends in the file (`lineEnds`), in a
 * whole batch and when a failed batch is offered again line by line, so a bad line can be named
 * by its offset. Offsets are bytes: multi-byte text and empty lines are counted.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAlertsTailer, type TailPosition } from '../../../src/ingest/alerts-file-tailer.js';
import { tailedLineLabel } from '../../../src/ingest/tailed-line.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-tailer-ends-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Where each non-empty line of `text` starts, in bytes. */
function starts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let at = 0;
  for (const l of text.split('\n')) {
    if (l !== '') {
      out.set(l, at);
    }
    at += Buffer.byteLength(l) + 1;
  }
  return out;
}

void test('lineEnds locate every line, in a batch and line by line after a failure', async () => {
  const file = path.join(root, 'alerts.json');
  fs.writeFileSync(file, '');
  const text = ['{"a":"é€🛡"}', '', '{"b":1}', 'not json', '', '{"c":"ü"}', ''].join('\n');
  const offers: { lines: readonly string[]; ends: readonly number[] }[] = [];
  let store: TailPosition | undefined;
  let failOnce = true;
  const tailer = createAlertsTailer({
    path: file,
    loadPosition: () => store,
    savePosition: (pos) => {
      store = pos;
    },
    onLines: (lines, _end, ends) => {
      offers.push({ lines, ends });
      if (lines.length > 1 && failOnce) {
        failOnce = false;
        throw new Error('the batch fails once: its lines are offered one by one');
      }
    },
    pollMs: 2,
  });
  tailer.start();
  try {
    fs.appendFileSync(file, text);
    while (store?.offset !== fs.statSync(file).size) {
      await tailer.drain();
    }
  } finally {
    await tailer.stop();
  }
  const expected = starts(text);
  assert.deepEqual(
    offers.map((o) => o.lines.length),
    [4, 1, 1, 1, 1],
    'the batch, then each of its lines alone',
  );
  for (const { lines, ends } of offers) {
    assert.equal(ends.length, lines.length);
    lines.forEach((l, i) => {
      const label = tailedLineLabel(file, lines, ends, i);
      assert.equal(label, `alerts file '${file}', the line at offset ${expected.get(l)}`, l);
    });
  }
});
