/**
 * A NATS server that requires a user (nats-server --user/--pass, on loopback): nodes given the
 * credentials in their environment hand orders over through it; a node without them, or with a
 * wrong password, fails to start with CONFIG_INVALID (exit 1) naming the variables to set, never
 * printing a password; the real `riposte manager --bus nats://...` takes them from
 * RIPOSTE_NATS_USER / RIPOSTE_NATS_PASSWORD (src/cluster/nats-auth.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BusOrder, OrderBus } from '../../src/cluster/order-bus.js';
import { createNatsBus } from '../../src/cluster/nats-bus.js';
import { BusSeal, newBusKey } from '../../src/cluster/bus-seal.js';
import type { NatsAuth } from '../../src/cluster/nats-auth.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startPgServer, type PgServer } from './support/pg-server.js';
import { MAIN, makeDir, removeDir, track, untilListening, waitFor } from '../manager/support/fleet.js';
import pg from 'pg';
import { startManagerRuntime } from '../../src/runtime/manager-runtime.js';

const PASSWORD = 'nats-pw-5d1e';
const root = makeDir('nats-auth');
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');
const seal = new BusSeal(newBusKey());
let nats: NatsServer;
let pgServer: PgServer;

before(async () => {
  nats = await startNatsServer(['--user', 'riposte', '--pass', PASSWORD]);
  pgServer = await startPgServer();
});

after(async () => {
  await nats.stop();
  await pgServer.stop();
  removeDir(root);
});

function bus(auth?: NatsAuth): OrderBus {
  return createNatsBus({ servers: nats.url, seal, ...(auth ? { auth } : {}) });
}

test('nodes with the credentials hand orders over; without them, or wrong, a start is refused', async () => {
  const got: BusOrder[] = [];
  const a = bus({ kind: 'user', user: 'riposte', pass: PASSWORD });
  const b = bus({ kind: 'user', user: 'riposte', pass: PASSWORD });
  await a.start({ onOrders: () => undefined, onResync: () => undefined });
  await b.start({ onOrders: (o) => got.push(...o), onResync: () => undefined });
  try {
    a.publish([{ agentId: '001', seq: 1, kind: 'add', payload: '{"x":1}' }]);
    await waitFor('the hand-off', 20_000, () => (got.length === 1 ? true : undefined));
    for (const auth of [undefined, { kind: 'user', user: 'riposte', pass: 'wrong-pw-77' } as const]) {
      const c = bus(auth);
      await assert.rejects(
        c.start({ onOrders: () => undefined, onResync: () => undefined }),
        (err: unknown) => {
          const m = (err as Error).message;
          assert.equal((err as { code?: string }).code, ErrorCode.CONFIG_INVALID, m);
          assert.match(
            m,
            /^NATS at nats:\/\/127\.0\.0\.1:\d+ refused this node \(.*\): set RIPOSTE_NATS_USER/,
          );
          assert.doesNotMatch(m, /wrong-pw-77|nats-pw-5d1e/);
          return true;
        },
      );
      await c.close();
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('riposte manager --bus nats://... takes the NATS user from its environment', async () => {
  const run = (env: NodeJS.ProcessEnv, home: string) =>
    track(
      spawn(
        process.execPath,
        [
          MAIN,
          'manager',
          '-c',
          conf,
          '--home',
          path.join(root, home),
          '--listen',
          '127.0.0.1:0',
          '--no-local-agent',
          '--store',
          pgServer.url,
          '--bus',
          nats.url,
        ],
        { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
  const ok = run({ RIPOSTE_NATS_USER: 'riposte', RIPOSTE_NATS_PASSWORD: PASSWORD }, 'with');
  try {
    await untilListening(ok);
  } finally {
    assert.equal(await ok.stop('SIGTERM'), 0, ok.output());
  }
  const refused = run({ RIPOSTE_NATS_USER: '', RIPOSTE_NATS_PASSWORD: '' }, 'without');
  assert.equal(await refused.ended(), 1, refused.output());
  assert.match(refused.output(), /riposte: NATS at nats:\/\/127\.0\.0\.1:\d+ refused this node/);
});

test('a start refused by NATS closes what it had opened: no store, API or lease session stays', async () => {
  await assert.rejects(
    startManagerRuntime({
      configPath: conf,
      home: path.join(root, 'runtime'),
      listen: { host: '127.0.0.1', port: 0 },
      localAgent: false,
      cluster: { storeUrl: pgServer.url, bus: nats.url },
    }),
    (err: unknown) => (err as { code?: string }).code === ErrorCode.CONFIG_INVALID,
  );
  const c = new pg.Client({ connectionString: pgServer.url });
  await c.connect();
  try {
    const r = await c.query<{ application_name: string }>(
      "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'riposte%'",
    );
    assert.deepEqual(
      r.rows.map((row) => row.application_name),
      [],
      "closed before the start's error was thrown",
    );
  } finally {
    await c.end();
  }
});
