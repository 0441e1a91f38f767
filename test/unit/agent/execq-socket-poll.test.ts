/**
 * ExecqSocket.poll: what a busy batch step takes off the socket's queue is handed over later (never
 * during the poll), in arrival order with everything the socket delivers afterwards; close() hands
 * over what is still held.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import unixDgram from 'unix-dgram';
import { bindExecqSocket } from '../../../src/agent/execq-socket.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-execq-poll-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Sends each text now (each send(2) happens before this returns); resolves when all were sent. */
function sendNow(to: string, texts: readonly string[]): Promise<void> {
  const client = unixDgram.createSocket('unix_dgram');
  const sent = texts.map(
    (t) =>
      new Promise<void>((resolve, reject) => {
        const buf = Buffer.from(t);
        client.send(buf, 0, buf.length, to, (err?: Error) => {
          if (err) {
            reject(err);
          } else {
            resolve();
          }
        });
      }),
  );
  return Promise.all(sent)
    .then(() => undefined)
    .finally(() => {
      client.close();
    });
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) {
    await new Promise((r) => setImmediate(r));
  }
}

test('polled datagrams are handed over on a later turn, in order with those delivered afterwards', async () => {
  const file = path.join(root, 'execq-order');
  const got: string[] = [];
  const errors: Error[] = [];
  const sock = await bindExecqSocket(
    file,
    (t) => got.push(t),
    (e) => errors.push(e),
  );
  try {
    const first = sendNow(file, ['m0', 'm1', 'm2', 'm3']);
    sock.poll();
    assert.deepEqual(got, [], 'a poll only reads: nothing is handed over during it');
    await first;
    await sendNow(file, ['m4', 'm5']);
    await until(() => got.length === 6);
    assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    assert.deepEqual(errors, []);
  } finally {
    sock.close();
  }
});

test('close hands over what a poll took and is still held', async () => {
  const file = path.join(root, 'execq-close');
  const got: string[] = [];
  const sock = await bindExecqSocket(
    file,
    (t) => got.push(t),
    () => undefined,
  );
  const sent = sendNow(file, ['a', 'b']);
  sock.poll();
  const sentLater = sendNow(file, ['c']);
  sock.poll(); // 'c' is read only when POLL_EVERY_MS has passed since the first poll
  assert.deepEqual(got, [], 'held, not handed over yet');
  sock.close();
  assert.ok(got.length >= 2, 'the held datagrams are handed over before the socket closes');
  assert.deepEqual(got, ['a', 'b', 'c'].slice(0, got.length));
  await Promise.allSettled([sent, sentLater]);
  assert.equal(fs.existsSync(file), false);
});

test('a gate that holds keeps datagrams as text, handed over in order once it has room', async () => {
  const file = path.join(root, 'execq-gate');
  const got: string[] = [];
  let room = 2;
  let resume: (() => void) | undefined;
  const sock = await bindExecqSocket(
    file,
    (t) => got.push(t),
    () => undefined,
    {
      held: () => got.length >= room,
      onRoom: (r) => {
        resume = r;
      },
    },
  );
  try {
    await sendNow(file, ['g0', 'g1', 'g2', 'g3', 'g4']);
    await until(() => got.length === 2);
    assert.deepEqual(got, ['g0', 'g1'], 'the rest is held while the consumer is full');
    await sendNow(file, ['g5']);
    room = 4;
    resume?.();
    await until(() => got.length === 4);
    assert.deepEqual(got, ['g0', 'g1', 'g2', 'g3'], 'handed over up to the room, in arrival order');
    room = 100;
    resume?.();
    await until(() => got.length === 6);
    assert.deepEqual(got, ['g0', 'g1', 'g2', 'g3', 'g4', 'g5']);
  } finally {
    sock.close();
  }
});

test('close hands over what a gate holds', async () => {
  const file = path.join(root, 'execq-gate-close');
  const got: string[] = [];
  let asked = 0;
  const sock = await bindExecqSocket(
    file,
    (t) => got.push(t),
    () => undefined,
    {
      held: () => {
        asked++;
        return true;
      },
      onRoom: () => undefined,
    },
  );
  // All three are queued in the kernel before the socket's first read, which drains them together.
  await sendNow(file, ['h0', 'h1', 'h2']);
  await until(() => asked > 0);
  assert.deepEqual(got, []);
  sock.close();
  assert.deepEqual(got, ['h0', 'h1', 'h2']);
});
