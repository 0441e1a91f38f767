/**
 * `riposte manager --store URL --bus URL` (issue 11 item 1): the flags are validated before the
 * daemon starts (CONFIG_INVALID naming the flag, the password never printed), and the real CLI
 * on `--store postgres://...` keeps its enrolled agent in that PostgreSQL database.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { refusal } from '../support/refusal.js';
import { storeChoice } from '../../src/cli/commands/manager-store-flags.js';
import { startManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { openPgManagerStore } from '../../src/store/pg-manager-store.js';
import { startPgServer } from '../cluster/support/pg-server.js';
import { MAIN, enroll, makeDir, removeDir, startManager } from '../manager/support/fleet.js';

const root = makeDir('store-flags');
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');

after(() => {
  removeDir(root);
});

test('storeChoice: default SQLite, a SQLite path, a PostgreSQL URL with its bus', () => {
  assert.deepEqual(storeChoice(undefined, undefined), {});
  assert.deepEqual(storeChoice('/var/lib/m.db', undefined), { storeUrl: '/var/lib/m.db' });
  const pgUrl = 'postgres://riposte:s3cret@db:5432/riposte';
  assert.deepEqual(storeChoice(pgUrl, undefined), { cluster: { storeUrl: pgUrl, bus: 'postgres' } });
  assert.deepEqual(storeChoice(pgUrl, pgUrl), { cluster: { storeUrl: pgUrl, bus: 'postgres' } });
  assert.deepEqual(storeChoice(pgUrl, 'nats://n1:4222,nats://n2:4222'), {
    cluster: { storeUrl: pgUrl, bus: 'nats://n1:4222,nats://n2:4222' },
  });
});

test('storeChoice refuses bad URLs with CONFIG_INVALID naming the flag, never the password', () => {
  const cases: [string | undefined, string | undefined, RegExp][] = [
    ['mysql://u:s3cret@db/x', undefined, /--store: "mysql:\/\/u:\*\*\*@db\/x" is not postgres/],
    ['postgres://u:s3cret@/x', undefined, /--store: .* is not a valid URL/],
    [undefined, 'nats://n1:4222', /--bus: .* needs a PostgreSQL --store/],
    ['/tmp/m.db', 'nats://n1:4222', /--bus: .* needs a PostgreSQL --store/],
    ['postgres://u:s3cret@db/x', 'kafka://k:9092', /--bus: "kafka:\/\/k:9092" must start with nats:\/\//],
    ['postgres://u:s3cret@db/x', 'postgres://u:s3cret@other/x', /--bus: .* must be the --store URL/],
  ];
  for (const [store, bus, message] of cases) {
    const got = refusal(() => storeChoice(store, bus));
    assert.ok(got.startsWith(`${ErrorCode.CONFIG_INVALID}: `), got);
    assert.match(got, message);
    assert.doesNotMatch(got, /s3cret/);
  }
});

test('riposte manager refuses a bad --store before starting, without printing the password', () => {
  const home = path.join(root, 'never-started');
  const r = spawnSync(
    process.execPath,
    [MAIN, 'manager', '-c', conf, '--home', home, '--store', 'mysql://u:s3cret@db/x'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.notEqual(r.status, 0, r.stderr);
  assert.match(r.stderr, /--store: "mysql:\/\/u:\*\*\*@db\/x"/);
  assert.doesNotMatch(r.stdout + r.stderr, /s3cret|listening/);
});

test('riposte manager --store postgres://... without --no-local-agent is refused: no agent 000 in a cluster', () => {
  const got = refusal(() => storeChoice('postgres://u:s3cret@db/x', undefined, true));
  assert.match(
    got,
    /^CONFIG_INVALID: --store: "postgres:\/\/u:\*\*\*@db\/x" is a cluster store and needs --no-local-agent/,
  );
  assert.deepEqual(
    storeChoice('/tmp/m.db', undefined, true),
    { storeUrl: '/tmp/m.db' },
    'SQLite keeps agent 000',
  );
  const home = path.join(root, 'with-local-agent');
  // Port 1 on loopback: nothing listens, and the refusal must come before any connection attempt.
  const r = spawnSync(
    process.execPath,
    [MAIN, 'manager', '-c', conf, '--home', home, '--store', 'postgres://u:s3cret@127.0.0.1:1/x'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 1, `CONFIG_INVALID exits 1 (docs/errors.md): ${r.stdout}${r.stderr}`);
  assert.match(
    r.stderr,
    /--store: "postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x" is a cluster store and needs --no-local-agent/,
  );
  assert.doesNotMatch(r.stdout + r.stderr, /s3cret|listening|ECONNREFUSED/);
  assert.equal(existsSync(path.join(home, 'var')), false, 'nothing started');
});

test('startManagerRuntime refuses agent 000 on a PostgreSQL store too (CONFIG_INVALID, before connecting)', async () => {
  await assert.rejects(
    startManagerRuntime({
      configPath: conf,
      home: path.join(root, 'runtime-refused'),
      cluster: { storeUrl: 'postgres://u:s3cret@127.0.0.1:1/x', bus: 'postgres' },
    }),
    (err: unknown) =>
      (err as { code?: string }).code === ErrorCode.CONFIG_INVALID &&
      /needs --no-local-agent/.test((err as Error).message) &&
      !/s3cret/.test((err as Error).message),
  );
});

test('riposte manager --store postgres://... keeps an enrolled agent in PostgreSQL', async () => {
  const server = await startPgServer();
  const home = path.join(root, 'manager');
  const m = await startManager(home, conf, ['--store', server.url, '--no-local-agent']);
  try {
    const r = enroll(path.join(root, 'agent'), m.port, 'web-01', [
      '--password-file',
      path.join(home, 'etc', 'authd.pass'),
    ]);
    assert.equal(r.status, 0, r.out);
    const store = await openPgManagerStore(server.url);
    try {
      const names = (await store.listAgents()).map((a) => a.name);
      assert.deepEqual(names, ['web-01']);
    } finally {
      await store.close();
    }
    assert.equal(existsSync(path.join(home, 'var', 'manager.db')), false, 'no SQLite file written');
  } finally {
    await m.stop();
    await server.stop();
  }
});
