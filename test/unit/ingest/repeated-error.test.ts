/**
 * A failure that lasts is reported when it starts and once a minute, not at every retry
 * (src/ingest/repeated-error.ts); the alerts.json tailer uses it for its polls: a path that is a
 * directory was logged five times a second for as long as it lasted.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPEAT_REPORT_MS, RepeatedErrors } from '../../../src/ingest/repeated-error.js';
import { createAlertsTailer } from '../../../src/ingest/alerts-file-tailer.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-repeat-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

void test('the same failure: reported at once, then quiet, then again with its count once a minute', () => {
  const reported: string[] = [];
  const r = new RepeatedErrors((e) => reported.push(e.message));
  r.failed(new Error('EISDIR'), 0);
  for (let t = 200; t < REPEAT_REPORT_MS; t += 200) {
    r.failed(new Error('EISDIR'), t);
  }
  assert.deepEqual(reported, ['EISDIR']);
  r.failed(new Error('EISDIR'), REPEAT_REPORT_MS);
  assert.deepEqual(reported, ['EISDIR', 'EISDIR (still failing: 300 times in 60 s)']);
  r.failed(new Error('EISDIR'), REPEAT_REPORT_MS + 200);
  assert.equal(reported.length, 2);
});

void test('another failure, or the same after a success, is reported at once', () => {
  const reported: string[] = [];
  const r = new RepeatedErrors((e) => reported.push(e.message));
  r.failed(new Error('EACCES'), 0);
  r.failed(new Error('EISDIR'), 1);
  r.failed(new Error('EISDIR'), 2);
  r.succeeded();
  r.failed(new Error('EISDIR'), 3);
  r.failed('not an Error', 4);
  assert.deepEqual(reported, ['EACCES', 'EISDIR', 'EISDIR', 'not an Error']);
});

void test('the tailer on a path that is a directory reports it once over many polls, then reads the file once it is one', async () => {
  const file = path.join(root, 'alerts.json');
  fs.mkdirSync(file);
  const errors: Error[] = [];
  const got: string[] = [];
  const tailer = createAlertsTailer({
    path: file,
    loadPosition: () => undefined,
    savePosition: () => undefined,
    onLines: (lines) => {
      got.push(...lines);
    },
    onError: (err) => errors.push(err),
    startAt: 'beginning',
    pollMs: 1,
  });
  tailer.start();
  try {
    for (let i = 0; i < 20; i++) {
      await tailer.drain();
    }
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
    assert.match(errors[0]?.message ?? '', /^not a regular file \(a directory\?\)/);
    fs.rmdirSync(file);
    fs.writeFileSync(file, '{"rule":{"id":"5712"}}\n');
    await tailer.drain();
    assert.deepEqual(got, ['{"rule":{"id":"5712"}}']);
    assert.equal(errors.length, 1);
  } finally {
    await tailer.stop();
  }
});
