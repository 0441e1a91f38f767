/**
 * Issue #13 finding 11: a damaged database is refused at start with a stable code naming the
 * file, never opened as a fresh empty store (which forgot 41 tracked blocks, or every enrolled
 * agent). Covers a zero-length file after a first start, a zero-length first start, a corrupted
 * page (quick_check), a file that is not a database, and the CLI's exit status.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteAgentStore } from '../../src/store/sqlite-agent-store.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import { createdMarkerPath } from '../../src/store/open-database.js';
import { quickCheckAhead } from '../../src/store/quick-check-ahead.js';
import { isRiposteError } from '../../src/protocol/error-codes.js';
import { sampleActive, sampleStart } from './agent-store.fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-integrity-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});
let seq = 0;
function freshHome(): string {
  seq += 1;
  const home = path.join(root, `h${seq}`);
  fs.mkdirSync(path.join(home, 'var'), { recursive: true, mode: 0o750 });
  return home;
}

function refusal(file: string, pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isRiposteError(err), String(err));
    assert.equal(err.code, 'STORE_CORRUPT');
    assert.ok(err.message.includes(`"${file}"`), err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

/** A store holding `n` executions and one active response, closed (WAL checkpointed). */
function filledAgentDb(n: number): string {
  const file = path.join(freshHome(), 'var', 'agent.db');
  const s = openSqliteAgentStore(file);
  s.putActive(sampleActive({ key: 'firewall-drop-10.0.0.1' }));
  for (let i = 0; i < n; i++) {
    s.startExecution(sampleStart({ key: `k${i}` }));
  }
  s.close();
  return file;
}

test('first start creates the marker; a zero-length agent.db after it is refused, naming the file', () => {
  const file = filledAgentDb(1);
  assert.ok(fs.existsSync(createdMarkerPath(file)));
  fs.truncateSync(file, 0);
  assert.throws(
    () => openSqliteAgentStore(file),
    refusal(file, /is empty \(0 bytes\) but was created at 20/),
  );
  assert.equal(fs.statSync(file).size, 0, 'the refused file is left as it was');
});

test('a zero-length database without marker is a first start (interrupted before its schema)', () => {
  const file = path.join(freshHome(), 'var', 'agent.db');
  fs.writeFileSync(file, '');
  const s = openSqliteAgentStore(file);
  try {
    assert.equal(s.countActive(), 0);
    assert.ok(fs.existsSync(createdMarkerPath(file)));
  } finally {
    s.close();
  }
});

test('a corrupted page fails quick_check at open and the refusal names the file', () => {
  const file = filledAgentDb(3000);
  const size = fs.statSync(file).size;
  assert.ok(size > 16 * 4096, `database too small to corrupt a middle page: ${size}`);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 8 * 4096); // page 9: garbage
  fs.closeSync(fd);
  assert.throws(() => openSqliteAgentStore(file), refusal(file, /quick_check|malformed/));
});

test('a file that is not a database is refused as corrupt', () => {
  const file = path.join(freshHome(), 'var', 'agent.db');
  fs.writeFileSync(file, 'x'.repeat(8192));
  assert.throws(() => openSqliteAgentStore(file), refusal(file, /not a database/));
});

test('a zero-length manager.db after its first start is refused (enrolled agents are not forgotten)', async () => {
  const file = path.join(freshHome(), 'var', 'manager.db');
  await openSqliteManagerStore(file).close();
  fs.truncateSync(file, 0);
  assert.throws(() => openSqliteManagerStore(file), refusal(file, /is empty/));
});

test('riposte agent and manager exit 74 (STORE_CORRUPT) and name the file', async () => {
  const cli = path.resolve('dist/src/cli/main.js');
  const config = path.resolve('examples/ossec.conf');
  const agentDb = filledAgentDb(1);
  fs.truncateSync(agentDb, 0);
  const agentHome = path.dirname(path.dirname(agentDb));
  const a = spawnSync(process.execPath, [cli, 'agent', '--home', agentHome], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(a.status, 74, a.stderr);
  assert.ok(a.stderr.includes(`Database "${agentDb}" is damaged`), a.stderr);
  const mHome = freshHome();
  const managerDb = path.join(mHome, 'var', 'manager.db');
  await openSqliteManagerStore(managerDb).close();
  fs.truncateSync(managerDb, 0);
  const m = spawnSync(
    process.execPath,
    [cli, 'manager', '-c', config, '--home', mHome, '--listen', '127.0.0.1:0', '--no-local-agent'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(m.status, 74, m.stderr);
  assert.ok(m.stderr.includes(`Database "${managerDb}" is damaged`), m.stderr);
});

/** Page 9 of `file` overwritten with garbage. */
function corruptPage(file: string): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 8 * 4096);
  fs.closeSync(fd);
}

test('the check run ahead (worker thread) passes only a sound store; the opening refuses the others as before', async () => {
  const sound = filledAgentDb(3000);
  assert.equal(await quickCheckAhead(sound), true);
  const s = openSqliteAgentStore(sound, { checkedAhead: true });
  assert.equal(s.listActive().length, 1);
  s.close();
  const damaged = filledAgentDb(3000);
  corruptPage(damaged);
  assert.equal(await quickCheckAhead(damaged), false);
  assert.throws(() => openSqliteAgentStore(damaged), refusal(damaged, /quick_check|malformed/));
  const notDb = path.join(freshHome(), 'var', 'agent.db');
  fs.writeFileSync(notDb, 'x'.repeat(8192));
  assert.equal(await quickCheckAhead(notDb), false);
  const link = path.join(freshHome(), 'var', 'agent.db');
  fs.symlinkSync(sound, link);
  assert.equal(await quickCheckAhead(link), false, 'a link is not checked ahead (the opening refuses it)');
  assert.equal(await quickCheckAhead(path.join(root, 'absent.db')), false);
});

test('riposte agent on a store with a corrupted page exits 74 (STORE_CORRUPT) naming the file', () => {
  const agentDb = filledAgentDb(3000);
  corruptPage(agentDb);
  const a = spawnSync(
    process.execPath,
    [path.resolve('dist/src/cli/main.js'), 'agent', '--home', path.dirname(path.dirname(agentDb))],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(a.status, 74, a.stderr);
  assert.ok(a.stderr.includes(`Database "${agentDb}" is damaged`), a.stderr);
  assert.match(a.stderr, /quick_check|malformed/);
});
