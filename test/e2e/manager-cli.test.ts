/**
 * The manager's CLI around enrollment, as an operator runs it: `riposte agents add` (token via the
 * REST API), `riposte agent enroll` with a wrong and the right CA fingerprint, a replayed token,
 * `riposte agents list` and `riposte agents remove`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  MAIN,
  enroll,
  makeDir,
  removeDir,
  startManager,
  waitFor,
  type ManagerProc,
} from '../manager/support/fleet.js';

const root = makeDir('mcli');
const mHome = path.join(root, 'manager');
let manager: ManagerProc;

function cli(args: readonly string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function remote(): string[] {
  const token = readFileSync(path.join(mHome, 'var', 'admin.token'), 'utf8').trim();
  return [
    '--manager',
    `https://127.0.0.1:${manager.port}`,
    '--token',
    token,
    '--ca',
    path.join(mHome, 'etc', 'pki', 'ca.pem'),
  ];
}

before(async () => {
  const conf = path.join(root, 'ossec.conf');
  writeFileSync(conf, '<ossec_config></ossec_config>\n');
  manager = await startManager(mHome, conf, ['--no-local-agent']);
});

after(async () => {
  await manager.stop();
  removeDir(root);
});

test('agents add -> enroll with the token and the CA fingerprint -> list -> remove', async () => {
  // The banner's lines arrive as separate writes: "listening" (what startManager waits for) may
  // be read before the fingerprint line.
  const fingerprint = await waitFor(
    'the CA fingerprint line',
    20_000,
    () => /CA fingerprint \(SHA-256\): (\S+)\n/.exec(manager.output())?.[1],
  );
  assert.match(fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const add = cli(['agents', 'add', 'web-1', ...remote()]);
  assert.equal(add.status, 0, add.err);
  const token = /token: (\S+)/.exec(add.out)?.[1] ?? '';
  assert.ok(token.length > 20);

  const home = path.join(root, 'web-1');
  const wrongFp = enroll(home, manager.port, 'web-1', [
    '--token',
    token,
    '--ca-fingerprint',
    'AA'.repeat(32),
  ]);
  assert.equal(wrongFp.status, 5);
  assert.match(wrongFp.out, /does not match --ca-fingerprint .*: refusing to enroll/);
  assert.ok(!existsSync(path.join(home, 'etc', 'pki', 'agent.json')), 'nothing written');

  const ok = enroll(home, manager.port, 'web-1', [
    '--token',
    token,
    '--ca-fingerprint',
    fingerprint.replace(/:/g, '').toLowerCase(),
  ]);
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /Enrolled as agent 001 \("web-1"\)/);
  assert.doesNotMatch(ok.out, /Trusting the manager's CA on first use/);
  assert.equal(statSync(path.join(home, 'etc', 'pki', 'agent.key')).mode & 0o777, 0o600);
  const linkCfg = JSON.parse(readFileSync(path.join(home, 'etc', 'pki', 'agent.json'), 'utf8')) as {
    id: string;
    caFingerprint: string;
  };
  assert.deepEqual([linkCfg.id, linkCfg.caFingerprint], ['001', fingerprint]);

  const replay = enroll(path.join(root, 'web-2'), manager.port, 'web-1', ['--token', token]);
  assert.equal(replay.status, 5);
  assert.match(replay.out, /riposte: Enrollment refused: the token was already used/);

  const list = cli(['agents', 'list', '--json', ...remote()]);
  assert.equal(list.status, 0, list.err);
  // --output json (and --json): one object per line, like every list.
  const agents = list.out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { id: string; name: string; status: string });
  assert.deepEqual(
    agents.filter((a) => a.id !== '000').map((a) => [a.id, a.name, a.status]),
    [['001', 'web-1', 'never_connected']],
  );
  const table = cli(['agents', 'list', ...remote()]);
  assert.equal(table.status, 0, table.err);
  const [head, ...rows] = table.out.trimEnd().split('\n');
  assert.match(head ?? '', /^ID {2,}NAME {2,}STATUS {2,}ADDRESS {2,}VERSION {2,}LAST SEEN$/);
  for (const row of rows) {
    assert.equal(row.indexOf(row.split(/ {2,}/)[1] ?? ''), head?.indexOf('NAME'), 'aligned columns');
  }

  const rm = cli(['agents', 'remove', '001', ...remote()]);
  assert.equal(rm.status, 0, rm.err);
  assert.match(rm.out, /Agent 001 \("web-1"\) removed\./);
  const again = cli(['agents', 'remove', '042', ...remote()]);
  assert.equal(again.status, 4);
  assert.match(again.err, /Agent "042" does not exist/);
});

test("ar on a manager's home without --manager: a usage error that says how to reach its HTTPS API", () => {
  const r = cli(['ar', 'list', '--home', mHome]);
  assert.equal(r.status, 2, r.err);
  assert.ok(r.err.includes(`"${mHome}" is a manager's home: its API is HTTPS.`), r.err);
  assert.ok(r.err.includes(`--token "$(cat ${mHome}/var/admin.token)" --ca ${mHome}/etc/pki/ca.pem`), r.err);
  const ok = cli(['ar', 'list', ...remote()]);
  assert.equal(ok.status, 0, ok.err);
});
