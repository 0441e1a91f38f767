/**
 * The alerts.json tailer against real files in a temp dir. Progress is awaited with drain(), never
 * with sleeps; polls are 1-5 ms so writer and tailer genuinely interleave.
 */
import { after, describe, test } from 'node:test';
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
import { isRiposteError } from '../../../src/protocol/error-codes.js';
import { rejectionCount } from '../../../src/protocol/input-rejections.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
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

/** A JSON line carrying sequence number `n`, of varying length. */
const line = (n: number): string => JSON.stringify({ seq: n, pad: 'x'.repeat((n * 7) % 53) });
const lines = (from: number, to: number): string => {
  let s = '';
  for (let n = from; n < to; n++) {
    s += `${line(n)}\n`;
  }
  return s;
};
const seqs = (got: readonly string[]): number[] => got.map((l) => (JSON.parse(l) as { seq: number }).seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
/** A saved position without its content signature (alerts-tailer-regrow.test.ts checks that). */
const where = (p: TailPosition | undefined) => p && { dev: p.dev, ino: p.ino, offset: p.offset };

interface Harness {
  readonly tailer: AlertsTailer;
  readonly got: string[];
  readonly batches: number[];
  readonly errors: Error[];
  /** The persisted position, shared across harnesses to simulate a restart. */
  readonly store: { pos: TailPosition | undefined };
}

function harness(
  file: string,
  over: Partial<AlertsTailerOptions> = {},
  store: { pos: TailPosition | undefined } = { pos: undefined },
): Harness {
  const got: string[] = [];
  const batches: number[] = [];
  const errors: Error[] = [];
  const tailer = createAlertsTailer({
    path: file,
    loadPosition: () => store.pos,
    savePosition: (pos) => {
      store.pos = pos;
    },
    onLines: (ls) => {
      got.push(...ls);
      batches.push(ls.length);
    },
    onError: (err) => errors.push(err),
    pollMs: 2,
    ...over,
  });
  return { tailer, got, batches, errors, store };
}

/** Runs `fn` with a started harness and always stops it. */
async function running(h: Harness, fn: () => Promise<void>): Promise<void> {
  h.tailer.start();
  try {
    await fn();
  } finally {
    await h.tailer.stop();
  }
}

void describe('alerts file tailer: lines', () => {
  void test('delivers appended lines, holds a partial line until its newline, drops empty lines', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const h = harness(file);
    await running(h, async () => {
      fs.appendFileSync(file, 'a\n\nb');
      await h.tailer.drain();
      assert.deepStrictEqual(h.got, ['a']);
      assert.equal(h.store.pos?.offset, 3);
      fs.appendFileSync(file, 'c');
      await h.tailer.drain();
      assert.deepStrictEqual(h.got, ['a']);
      fs.appendFileSync(file, '\nd\n');
      await h.tailer.drain();
      assert.deepStrictEqual(h.got, ['a', 'bc', 'd']);
      assert.equal(h.store.pos?.offset, fs.statSync(file).size);
      assert.deepStrictEqual(h.errors, []);
    });
  });

  void test('batches hold at most maxBatchLines lines, in order', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const h = harness(file, { maxBatchLines: 7 });
    await running(h, async () => {
      fs.appendFileSync(file, lines(0, 100));
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(h.got), range(0, 100));
    assert.ok(h.batches.every((n) => n <= 7));
    assert.equal(h.batches.length, Math.ceil(100 / 7));
  });

  void test('a fresh start begins at the end of an existing file, skipping a line it lands inside', async () => {
    const file = freshPath();
    fs.writeFileSync(file, `${lines(0, 5)}{"seq":`);
    const h = harness(file);
    await running(h, async () => {
      await h.tailer.drain();
      fs.appendFileSync(file, `-1}\n${lines(5, 8)}`);
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(h.got), range(5, 8));
  });

  void test("startAt 'beginning' reads an existing file from offset 0", async () => {
    const file = freshPath();
    fs.writeFileSync(file, lines(0, 5));
    const h = harness(file, { startAt: 'beginning' });
    await running(h, () => h.tailer.drain());
    assert.deepStrictEqual(seqs(h.got), range(0, 5));
  });

  void test('a missing file is waited for and read from 0 when it appears', async () => {
    const file = freshPath();
    const h = harness(file);
    await running(h, async () => {
      await h.tailer.drain();
      assert.deepStrictEqual(h.got, []);
      fs.writeFileSync(file, lines(0, 3));
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(h.got), range(0, 3));
    assert.deepStrictEqual(h.errors, []);
  });

  void test('a line over 1 MiB is skipped with an ALERT_INVALID error; the tailer goes on', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const h = harness(file);
    await running(h, async () => {
      fs.appendFileSync(file, `${line(0)}\n${'x'.repeat(1024 * 1024 + 1)}\n${line(1)}\n`);
      await h.tailer.drain();
      // One arriving in pieces across polls, reported once.
      fs.appendFileSync(file, 'y'.repeat(700 * 1024));
      await h.tailer.drain();
      fs.appendFileSync(file, 'y'.repeat(700 * 1024));
      await h.tailer.drain();
      fs.appendFileSync(file, `yyy\n${line(2)}\n`);
      await h.tailer.drain();
      // A line of exactly 1 MiB is still accepted.
      fs.appendFileSync(file, `"${'z'.repeat(1024 * 1024 - 2)}"\n`);
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(h.got.slice(0, 3)), [0, 1, 2]);
    assert.equal(h.got[3]?.length, 1024 * 1024);
    assert.equal(h.errors.length, 2);
    assert.ok(h.errors.every((e) => isRiposteError(e) && e.code === 'ALERT_INVALID'));
    assert.equal(h.store.pos?.offset, fs.statSync(file).size);
  });
});

void describe('alerts file tailer: restarts', () => {
  void test('resumes from the saved position: no replay, no skip', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const store = { pos: undefined as TailPosition | undefined };
    const h1 = harness(file, {}, store);
    await running(h1, async () => {
      fs.appendFileSync(file, `${lines(0, 50)}{"seq":50,"pa`);
      await h1.tailer.drain();
    });
    fs.appendFileSync(file, `d":""}\n${lines(51, 80)}`);
    const h2 = harness(file, {}, store);
    await running(h2, () => h2.tailer.drain());
    assert.deepStrictEqual(seqs(h1.got), range(0, 50));
    assert.deepStrictEqual(seqs(h2.got), range(50, 80));
  });

  void test(
    'stop() during activity waits for the in-flight batch; a restart continues exactly after it',
    { timeout: 20_000 },
    async () => {
      const file = freshPath();
      fs.writeFileSync(file, '');
      const store = { pos: undefined as TailPosition | undefined };
      let entered!: () => void;
      const inBatch = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const got1: string[] = [];
      const h1 = harness(
        file,
        {
          maxBatchLines: 100,
          onLines: async (ls) => {
            entered();
            await released;
            got1.push(...ls);
          },
        },
        store,
      );
      h1.tailer.start();
      fs.appendFileSync(file, lines(0, 5000));
      await inBatch;
      const stopped = h1.tailer.stop();
      release();
      await stopped;
      const afterStop = got1.length;
      assert.equal(afterStop, 100);
      const handledBytes = Buffer.byteLength(lines(0, 100));
      assert.equal(store.pos?.offset, handledBytes);
      const h2 = harness(file, { maxBatchLines: 333 }, store);
      await running(h2, () => h2.tailer.drain());
      assert.equal(got1.length, afterStop, 'no delivery after stop() resolved');
      assert.deepStrictEqual([...seqs(got1), ...seqs(h2.got)], range(0, 5000));
    },
  );

  void test('a consumer that throws gets the same lines again at the next poll', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const got: string[] = [];
    let failures = 1;
    const errors: Error[] = [];
    const h = harness(file, {
      onLines: (ls) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('consumer down');
        }
        got.push(...ls);
      },
      onError: (e) => errors.push(e),
    });
    await running(h, async () => {
      fs.appendFileSync(file, lines(0, 10));
      await h.tailer.drain();
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(got), range(0, 10));
    assert.deepStrictEqual(
      errors.map((e) => e.message),
      ['consumer down'],
    );
  });
});

void describe('alerts file tailer: poison lines (issue 13.2)', () => {
  /** A consumer that is all-or-nothing per call and throws on any line holding "poison". */
  function atomicConsumer(got: string[]): (ls: readonly string[]) => void {
    return (ls) => {
      if (ls.some((l) => l.includes('poison'))) {
        throw new RangeError('Maximum call stack size exceeded');
      }
      got.push(...ls);
    };
  }

  void test('A, poison, B, C: A once, the poison line skipped and recorded, B and C delivered; a restart does not retry it', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const store: { pos: TailPosition | undefined } = { pos: undefined };
    const got: string[] = [];
    const poison = `{"poison":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const before = rejectionCount('alerts-file', 'poison');
    const h = harness(file, { onLines: atomicConsumer(got), poisonAttempts: 3 }, store);
    await running(h, async () => {
      fs.appendFileSync(file, `${line(1)}\n${poison}\n${line(2)}\n${line(3)}\n`);
      for (let i = 0; i < 3; i++) {
        await h.tailer.drain();
      }
    });
    assert.deepStrictEqual(seqs(got), [1, 2, 3], 'A once, then B and C');
    assert.equal(rejectionCount('alerts-file', 'poison') - before, 1, 'counted once');
    const skipped = h.errors.filter((e) => /Skipped a line/.test(e.message));
    assert.equal(skipped.length, 1, 'reported once');
    assert.ok((skipped[0]?.message.length ?? 0) < 600, 'the report quotes an excerpt, not the line');
    assert.ok(h.errors.length <= 4, `bounded number of reports, got ${h.errors.length}`);
    assert.equal(store.pos?.offset, fs.statSync(file).size, 'position saved past C');

    // Restart from the saved position: nothing is offered again.
    const again: string[] = [];
    const h2 = harness(file, { onLines: atomicConsumer(again) }, store);
    await running(h2, () => h2.tailer.drain());
    assert.deepStrictEqual(again, []);
    assert.deepStrictEqual(h2.errors, []);
  });

  void test('a line that fails once (transient) is retried, not skipped', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const got: string[] = [];
    let failures = 2;
    const h = harness(file, {
      onLines: (ls) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('database is locked');
        }
        got.push(...ls);
      },
    });
    await running(h, async () => {
      fs.appendFileSync(file, lines(0, 3));
      await h.tailer.drain();
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(got), [0, 1, 2]);
    assert.equal(h.errors.filter((e) => /Skipped/.test(e.message)).length, 0, 'nothing skipped');
  });
});

void describe('alerts file tailer: store outage', () => {
  void test('a transient failure outlasting the poison attempts holds every line back, skips none, reports once', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const got: string[] = [];
    let calls = 0;
    let down = true;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const h = harness(file, {
      poisonAttempts: 2,
      isTransient: (err) => err === refused,
      onLines: (ls) => {
        calls += 1;
        if (down) {
          throw refused;
        }
        got.push(...ls);
      },
    });
    await running(h, async () => {
      fs.appendFileSync(file, lines(0, 5));
      // Ten polls of a store that refuses: five times the poison threshold.
      while (calls < 10) {
        await h.tailer.drain();
      }
      assert.deepStrictEqual(got, [], 'nothing delivered while the store is down');
      assert.equal(h.store.pos, undefined, 'no position saved past undelivered lines');
      down = false;
      await h.tailer.drain();
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(got), range(0, 5), 'every line once, in order, after the outage');
    assert.equal(h.errors.filter((e) => /Skipped/.test(e.message)).length, 0, 'nothing skipped as poison');
    assert.equal(h.errors.length, 1, 'the outage reported once');
    assert.match(h.errors[0]?.message ?? '', /ECONNREFUSED.*lines kept/);
    assert.equal(h.store.pos?.offset, fs.statSync(file).size);
  });

  void test('a batch whose commit landed but whose answer was lost is not offered twice; one that did not land is', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const committed: string[] = [];
    let stored: TailPosition | undefined; // what the consumer's store holds (committed with the lines)
    const cut = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    let failures: ('after commit' | 'before commit')[] = ['after commit', 'before commit'];
    const h = harness(file, {
      isTransient: (err) => err === cut,
      committedPosition: () => Promise.resolve(stored),
      onLines: (ls, end) => {
        const failure = failures[0];
        if (failure === 'before commit') {
          failures = failures.slice(1);
          throw cut;
        }
        committed.push(...ls);
        stored = end;
        if (failure === 'after commit') {
          failures = failures.slice(1);
          throw cut; // committed, but the node never heard so
        }
      },
    });
    await running(h, async () => {
      fs.appendFileSync(file, lines(0, 3));
      while (h.store.pos?.offset !== fs.statSync(file).size) {
        await h.tailer.drain();
      }
      fs.appendFileSync(file, lines(3, 6));
      while (h.store.pos?.offset !== fs.statSync(file).size) {
        await h.tailer.drain();
      }
    });
    assert.deepStrictEqual(seqs(committed), range(0, 6), 'every line committed once');
    assert.deepStrictEqual(failures, [], 'both failures happened');
  });
});

/** Appends lines [from, to) in chunks cut at arbitrary byte positions (partial lines on disk). */
async function appendInPieces(file: string, from: number, to: number, step: number): Promise<void> {
  const text = lines(from, to);
  for (let i = 0; i < text.length; i += step) {
    await fs.promises.appendFile(file, text.slice(i, i + step));
  }
}

void describe('alerts file tailer: rotation and truncation', () => {
  void test(
    '10,000 lines across rename rotations and copytruncates are each handled once, in order',
    { timeout: 60_000 },
    async () => {
      const file = freshPath();
      fs.writeFileSync(file, '');
      const h = harness(file, { pollMs: 1, maxBatchLines: 250 });
      const total = 10_000;
      const chunk = 500;
      let rotations = 0;
      await running(h, async () => {
        for (let n = 0; n < total; n += chunk) {
          await appendInPieces(file, n, n + chunk, 997);
          const k = n / chunk;
          if (k % 5 === 2) {
            // Rename rotation right after writing: the tailer may not have read those lines yet,
            // so it must finish the old file through its open descriptor.
            rotations += 1;
            fs.renameSync(file, `${file}.${rotations}`);
            fs.writeFileSync(file, '');
          } else if (k % 5 === 4) {
            // copytruncate loses what was written between copy and truncate; drain first so the
            // test isolates the tailer's handling of the truncation itself.
            await h.tailer.drain();
            fs.copyFileSync(file, `${file}.copy${k}`);
            fs.truncateSync(file, 0);
          }
        }
        await h.tailer.drain();
      });
      assert.ok(rotations >= 3);
      assert.deepStrictEqual(seqs(h.got), range(0, total));
      assert.deepStrictEqual(h.errors, []);
      const st = fs.statSync(file);
      assert.deepStrictEqual(where(h.store.pos), { dev: st.dev, ino: st.ino, offset: st.size });
    },
  );

  void test('lines appended just before a rename rotation are read from the old file first', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const h = harness(file);
    await running(h, async () => {
      fs.appendFileSync(file, lines(0, 5));
      await h.tailer.drain();
      // No await between these: no poll can run, so lines 5..9 are unread when the path moves on.
      fs.appendFileSync(file, lines(5, 10));
      fs.renameSync(file, `${file}.1`);
      fs.writeFileSync(file, lines(10, 15));
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(h.got), range(0, 15));
    const st = fs.statSync(file);
    assert.deepStrictEqual(where(h.store.pos), { dev: st.dev, ino: st.ino, offset: st.size });
  });

  void test('rotation while stopped: the new file is read from 0 on restart', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const store = { pos: undefined as TailPosition | undefined };
    const h1 = harness(file, {}, store);
    await running(h1, async () => {
      fs.appendFileSync(file, lines(0, 10));
      await h1.tailer.drain();
    });
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, lines(10, 20));
    const h2 = harness(file, {}, store);
    await running(h2, () => h2.tailer.drain());
    assert.deepStrictEqual(seqs([...h1.got, ...h2.got]), range(0, 20));
  });

  void test('an unterminated last line of a rotated file is reported, not delivered', async () => {
    const file = freshPath();
    fs.writeFileSync(file, '');
    const h = harness(file);
    await running(h, async () => {
      fs.appendFileSync(file, `${lines(0, 3)}{"seq":`);
      await h.tailer.drain();
      fs.renameSync(file, `${file}.1`);
      fs.writeFileSync(file, lines(3, 6));
      await h.tailer.drain();
    });
    assert.deepStrictEqual(seqs(h.got), range(0, 6));
    assert.equal(h.errors.length, 1);
    assert.match(h.errors[0]!.message, /Discarded 7 bytes/);
  });
});
