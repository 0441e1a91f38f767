/**
 * The alerts.json tailer and a logrotate copytruncate after which the file has already grown back
 * past the tailer's offset when the tailer looks again (a busy manager, a slow consumer, a
 * restart): the size never drops below the offset, so only the bytes before it (their signature)
 * tell. Every alert of the new content must be delivered once, none skipped, none cut mid-line.
 *
 * Polls run only when a test asks (drain(); pollMs is an hour), so the file is rewritten exactly
 * between two polls, or, for the slow consumer, while a batch is being delivered.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createAlertsTailer,
  type AlertsTailer,
  type AlertsTailerOptions,
  type TailPosition,
} from '../../../src/ingest/alerts-file-tailer.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-tailer-regrow-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});
let seq = 0;
function freshPath(): string {
  seq += 1;
  const dir = path.join(root, `case-${seq}`);
  fs.mkdirSync(dir);
  return path.join(dir, 'alerts.json');
}

/** Alert lines [from, to): unique ids, of varying length, as Wazuh's are. */
function alerts(from: number, to: number): string {
  let s = '';
  for (let n = from; n < to; n++) {
    s += `${JSON.stringify({ id: `a-${n}`, pad: 'x'.repeat((n * 7) % 53) })}\n`;
  }
  return s;
}
/** The lines of alerts(from, to) as delivered (no newlines). */
const expected = (from: number, to: number): string[] => alerts(from, to).split('\n').slice(0, -1);

/** What logrotate's copytruncate does, then the manager writing `next` before the tailer looks. */
function copytruncateAndRegrow(file: string, next: string, pastOffset: number): void {
  fs.copyFileSync(file, `${file}.1`);
  fs.truncateSync(file, 0);
  fs.appendFileSync(file, next);
  assert.ok(fs.statSync(file).size > pastOffset, 'precondition: regrown past the old offset');
}

interface Run {
  readonly tailer: AlertsTailer;
  readonly got: string[];
  readonly errors: Error[];
  readonly store: { pos: TailPosition | undefined };
}

function tail(file: string, store: Run['store'], over: Partial<AlertsTailerOptions> = {}): Run {
  const got: string[] = [];
  const errors: Error[] = [];
  const tailer = createAlertsTailer({
    path: file,
    startAt: 'beginning',
    pollMs: 3_600_000,
    loadPosition: () => store.pos,
    savePosition: (pos) => {
      store.pos = pos;
    },
    onLines: (ls) => {
      got.push(...ls);
    },
    onError: (err) => errors.push(err),
    ...over,
  });
  tailer.start();
  return { tailer, got, errors, store };
}

/** Polls until the saved position is the end of the file as it is now. */
async function caughtUp(run: Run, file: string): Promise<void> {
  while (run.store.pos?.offset !== fs.statSync(file).size) {
    await run.tailer.drain();
  }
}

/** A tailer run (a daemon start) until it has caught up with the file, then stopped. */
async function tailToEnd(file: string, store: Run['store']): Promise<Run> {
  const run = tail(file, store);
  try {
    await caughtUp(run, file);
  } finally {
    await run.tailer.stop();
  }
  return run;
}

void test('a copytruncate regrown past the offset between two polls: the new file is read from 0', async () => {
  const file = freshPath();
  fs.writeFileSync(file, alerts(0, 10));
  const run = tail(file, { pos: undefined });
  try {
    await caughtUp(run, file);
    assert.deepStrictEqual(run.got, expected(0, 10));
    const offset = run.store.pos?.offset ?? 0;
    copytruncateAndRegrow(file, alerts(10, 40), offset);
    await caughtUp(run, file);
  } finally {
    await run.tailer.stop();
  }
  assert.deepStrictEqual(run.got, expected(0, 40), 'every alert once, in order');
  assert.deepStrictEqual(run.errors, []);
});

void test('a copytruncate regrown while a batch is being delivered: caught before the next read', async () => {
  const file = freshPath();
  fs.writeFileSync(file, alerts(0, 5));
  const store = { pos: undefined as TailPosition | undefined };
  let rotated = false;
  const got: string[] = [];
  const run = tail(file, store, {
    maxBatchLines: 5,
    onLines: (ls, end) => {
      got.push(...ls);
      if (!rotated) {
        // The batch read every line of the old file; the rewrite lands before the next read.
        rotated = true;
        copytruncateAndRegrow(file, alerts(5, 40), end.offset);
      }
    },
  });
  try {
    await caughtUp(run, file);
  } finally {
    await run.tailer.stop();
  }
  assert.deepStrictEqual(got, expected(0, 40), 'every alert once, in order');
  assert.deepStrictEqual(run.errors, []);
});

void test('a copytruncate regrown past the saved offset while stopped: read from 0 on restart', async () => {
  const file = freshPath();
  fs.writeFileSync(file, alerts(0, 10));
  const store = { pos: undefined as TailPosition | undefined };
  const first = await tailToEnd(file, store);
  assert.deepStrictEqual(first.got, expected(0, 10));
  const savedSig = store.pos?.sig;
  copytruncateAndRegrow(file, alerts(10, 40), store.pos?.offset ?? 0);
  const second = await tailToEnd(file, store);
  assert.deepStrictEqual(second.got, expected(10, 40), 'every new alert once, none replayed');
  assert.match(savedSig ?? '', /^[0-9a-f]{32}$/, 'the signature was saved with the offset');
  assert.deepStrictEqual([...first.errors, ...second.errors], []);
});

void test('a restart with the file unchanged resumes at the saved offset: nothing replayed', async () => {
  const file = freshPath();
  fs.writeFileSync(file, alerts(0, 10));
  const store = { pos: undefined as TailPosition | undefined };
  const first = await tailToEnd(file, store);
  fs.appendFileSync(file, alerts(10, 15));
  const second = await tailToEnd(file, store);
  assert.deepStrictEqual([...first.got, ...second.got], expected(0, 15));
});
