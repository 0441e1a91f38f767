/**
 * The NATS order bus through outages of its server (nats-server -js on loopback, src/cluster/
 * nats-bus.ts):
 * - a batch published while the server is down waits in the node, untried, and reaches the stream
 *   once when it is back (it used to be tried every 5.5 s, each try timing out after 5 s, so the
 *   first hand-off after the reconnect waited for the last try's timeout);
 * - a server that refuses the node's credentials for a while (restarted while they were being
 *   changed) is reported once, and the node reconnects when they are right again (nats.js gave
 *   up for good after the second refusal);
 * - a bus closed while its server is down, or right after a reconnect, lets its process end
 *   (nats.js's drain resolved without closing when the server was down, and its ordered
 *   consumer's retry loop never ends once closed, or threw an unhandled CONNECTION_DRAINING).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { connect as connectNats } from 'nats';
import { NATS_ORDER_STREAM, createNatsBus } from '../../src/cluster/nats-bus.js';
import { BusSeal, newBusKey } from '../../src/cluster/bus-seal.js';
import type { NatsAuth } from '../../src/cluster/nats-auth.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { waitFor } from '../manager/support/fleet.js';
import { busNode, busOrder as order, type BusNode } from './support/bus-node.js';

const PASSWORD = 'nats-outage-pw-3c';
const USER_FLAGS = ['--user', 'riposte', '--pass', PASSWORD];
const seal = new BusSeal(newBusKey());
let nats: NatsServer;

before(async () => {
  nats = await startNatsServer(USER_FLAGS);
});

after(async () => {
  await nats.stop();
});

/** A bus node on the test's server, with the warnings its bus logged. */
async function node(auth: NatsAuth): Promise<BusNode & { readonly warnings: string[] }> {
  const warnings: string[] = [];
  const n = await busNode(() =>
    createNatsBus({ servers: nats.url, seal, auth, onWarn: (t) => warnings.push(t) }),
  );
  return Object.assign(n, { warnings }); // the same object: its resyncs stay counted
}

const AUTH: NatsAuth = { kind: 'user', user: 'riposte', pass: PASSWORD };

/** How many messages the order stream holds. */
async function streamMessages(): Promise<number> {
  const admin = await connectNats({ servers: nats.url, user: 'riposte', pass: PASSWORD });
  try {
    return (await (await admin.jetstreamManager()).streams.info(NATS_ORDER_STREAM)).state.messages;
  } finally {
    await admin.close();
  }
}

test('NATS down: a batch published meanwhile waits in the node and reaches the stream once', async () => {
  const a = await node(AUTH);
  const b = await node(AUTH);
  try {
    a.bus.publish([order(1)]);
    await waitFor('a hand-off before', 10_000, () => (b.got.length === 1 ? true : undefined));
    const before = await streamMessages();
    await nats.pause();
    await waitFor('the disconnect seen', 10_000, () =>
      a.warnings.some((w) => /disconnect/.test(w)) ? true : undefined,
    );
    a.bus.publish([order(2)]);
    // The outage outlasts a publish's timeout (5 s) and its retry: neither may be tried meanwhile.
    await delay(7_000);
    await nats.resume();
    await waitFor('the batch after the reconnect', 30_000, () =>
      b.got.some((o) => o.seq === 2) ? true : undefined,
    );
    // Nothing tried meanwhile comes late, and nothing is sent twice.
    a.bus.publish([order(3)]);
    await waitFor('a later batch', 20_000, () => (b.got.some((o) => o.seq === 3) ? true : undefined));
    assert.deepEqual(
      b.got.map((o) => o.seq),
      [1, 2, 3],
    );
    assert.equal(await streamMessages(), before + 2);
    assert.ok(!a.warnings.some((w) => /publish failed/.test(w)), a.warnings.join('\n'));
  } finally {
    await Promise.all([a.bus.close(), b.bus.close()]);
  }
});

test('NATS refuses the credentials for a while: reported, and the node is back once they are right', async () => {
  const a = await node(AUTH);
  const b = await node(AUTH);
  try {
    await nats.pause();
    await nats.resume(['--user', 'riposte', '--pass', 'being-changed-9f']);
    await waitFor('the refusal reported', 20_000, () =>
      a.warnings.some((w) => /AUTHORIZATION_VIOLATION/.test(w)) ? true : undefined,
    );
    // Several reconnects refused in a row (one every 250 ms): nats.js gave up at the second.
    await delay(2_000);
    await nats.pause();
    await nats.resume(USER_FLAGS);
    a.bus.publish([order(20)]);
    await waitFor('a hand-off after', 30_000, () => (b.got.some((o) => o.seq === 20) ? true : undefined));
    assert.equal(
      a.warnings.filter((w) => /AUTHORIZATION_VIOLATION/.test(w)).length,
      1,
      'once, not at each attempt',
    );
    assert.ok(!a.warnings.some((w) => /closed for good/.test(w)), a.warnings.join('\n'));
  } finally {
    await Promise.all([a.bus.close(), b.bus.close()]);
    await nats.resume(); // the right password, whatever step failed
  }
});

const CLOSE_CHILD = path.resolve('dist/test/cluster/support/bus-close-child.js');

/**
 * Runs bus-close-child.ts, closing its bus at `event`, which `act` brings about once it started;
 * resolves its exit code and output, or rejects when it has not ended 60 s after that.
 */
async function closeChild(
  event: string,
  act: () => Promise<void>,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLOSE_CHILD, nats.url, 'riposte', PASSWORD, event], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await waitFor('the child started', 20_000, () => (out.includes('started') ? true : undefined));
    await act();
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`still running 60 s after its bus was closed:\n${out}`));
        }, 60_000);
      }),
    ]);
    clearTimeout(timer);
    return { code, out };
  } finally {
    child.kill('SIGKILL');
  }
}

test('NATS: a bus closed while its server is down lets its process end', async () => {
  try {
    const { code, out } = await closeChild('disconnect', () => nats.pause());
    assert.equal(code, 0, out);
    assert.match(out, /^closed$/m);
  } finally {
    await nats.resume();
  }
});

test('NATS: a bus closed right after a reconnect lets its process end, without an unhandled error', async () => {
  // The moment its consumer is being made again. nats.js's ordered consumer hung in 4 of 9 such
  // rounds (two trials): 6 rounds, about 9 s when nothing hangs.
  for (let round = 0; round < 6; round++) {
    const { code, out } = await closeChild('reconnect', () => nats.restart());
    assert.equal(code, 0, out);
    assert.match(out, /^closed$/m);
  }
});
