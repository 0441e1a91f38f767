/**
 * The alerts.json tailer and a consumer that stalls (`isStalled`: a statement timeout). A batch
 * that times out is offered line by line (a batch may exceed a statement_timeout its lines do
 * not); a line that times out alone is held back and retried, never skipped as poison, however
 * often it fails; each stall is reported once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAlertsTailer, type TailPosition } from '../../../src/ingest/alerts-file-tailer.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-tailer-stall-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const line = (n: number): string => JSON.stringify({ seq: n });

void test('a stalled batch goes line by line; a line stalled alone is retried, never skipped', async () => {
  const file = path.join(root, 'alerts.json');
  fs.writeFileSync(file, '');
  const timeout = new Error('Query read timeout');
  const got: string[] = [];
  const errors: Error[] = [];
  let store: TailPosition | undefined;
  let line2Fails = 6; // twice the poison attempts: line 2 alone stalls six times, then passes
  const tailer = createAlertsTailer({
    path: file,
    loadPosition: () => store,
    savePosition: (pos) => {
      store = pos;
    },
    onLines: (ls) => {
      if (ls.length > 1) {
        throw timeout; // the whole batch exceeds the limit
      }
      if (ls[0] === line(2) && line2Fails > 0) {
        line2Fails -= 1;
        throw timeout;
      }
      got.push(...ls);
    },
    onError: (err) => errors.push(err),
    isStalled: (err) => err === timeout,
    poisonAttempts: 3,
    pollMs: 2,
  });
  tailer.start();
  try {
    fs.appendFileSync(file, [0, 1, 2, 3, 4].map((n) => `${line(n)}\n`).join(''));
    while (store?.offset !== fs.statSync(file).size) {
      await tailer.drain();
    }
  } finally {
    await tailer.stop();
  }
  assert.deepStrictEqual(got, [0, 1, 2, 3, 4].map(line), 'every line once, in order, none skipped');
  assert.equal(line2Fails, 0, 'line 2 stalled alone six times');
  // Reported once per stall: the batch's, then line 2's (lines 0 and 1 passed in between).
  const kept = 'Query read timeout (lines kept: retried at every poll until this passes)';
  assert.deepStrictEqual(
    errors.map((e) => e.message),
    [kept, kept],
    'no line skipped as poison',
  );
});
