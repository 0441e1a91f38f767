/**
 * A real manager process restored from an older backup of its store, and a real agent whose marks
 * are newer: the orders the restored manager numbers again from its older counter, stored while
 * the agent is away, run on the agent when it links again (they were acked as "already applied",
 * without running, before the welcome said how far the manager numbers: docs/manager-link.md).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  alert,
  api,
  enroll,
  installMark,
  makeDir,
  marks,
  removeDir,
  restartManager,
  startAgent,
  startManager,
  waitFor,
  type ManagerProc,
  type Proc,
} from '../manager/support/fleet.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100001</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = makeDir('restored');
const mHome = path.join(root, 'manager');
const conf = path.join(root, 'ossec.conf');
const aHome = path.join(root, 'a1');
const backup = path.join(root, 'backup');
/** The store's files: a copy of them, taken while the manager is stopped, is a backup. */
const DB_FILES = ['manager.db', 'manager.db-wal', 'manager.db-shm'];
let manager: ManagerProc;
let agent: Proc | undefined;
let n = 0;

const ARGS = ['--heartbeat', '1s'];

/** One alert from agent 001 about `srcip`, through the API; its `mark` order goes to 001. */
async function post(srcip: string): Promise<void> {
  const r = await api(manager, 'POST', '/alerts', alert('100001', '001', srcip, n++));
  assert.equal(r.status, 202, JSON.stringify(r.body));
}

async function marked(srcip: string): Promise<void> {
  await waitFor(
    `add ${srcip} on the agent`,
    30_000,
    () => marks(aHome).includes(`add ${srcip}`) || undefined,
  );
}

/** Copies the manager's store files (stopped: its WAL checkpointed) from `from` to `to`. */
function copyStore(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of DB_FILES) {
    rmSync(path.join(to, f), { force: true });
    if (existsSync(path.join(from, f))) {
      copyFileSync(path.join(from, f), path.join(to, f));
    }
  }
}

before(async () => {
  writeFileSync(conf, CONFIG);
  installMark(mHome);
  manager = await startManager(mHome, conf, ARGS);
  const r = enroll(aHome, manager.port, 'agent-1', [
    '--password-file',
    path.join(mHome, 'etc', 'authd.pass'),
  ]);
  assert.equal(r.status, 0, r.out);
  agent = await startAgent(aHome);
});

after(async () => {
  await agent?.stop();
  await manager.stop();
  removeDir(root);
});

describe('a manager restored from an older backup of its store', () => {
  test('the orders it numbers again from its older counter run on the agent', async () => {
    await post('198.51.100.1');
    await marked('198.51.100.1');
    await manager.stop();
    copyStore(path.join(mHome, 'var'), backup); // the backup: agent 001's orders numbered up to 1
    manager = await restartManager(manager, conf, ARGS);
    await post('198.51.100.2');
    await post('198.51.100.3');
    await marked('198.51.100.2');
    await marked('198.51.100.3'); // the agent's marks: up to seq 3

    await agent?.stop(); // offline while the restored manager stores its next orders
    await manager.stop();
    copyStore(backup, path.join(mHome, 'var')); // restored: it numbers 001's next order 2 again
    manager = await restartManager(manager, conf, ARGS);
    await post('198.51.100.4');
    await post('198.51.100.5');
    agent = await startAgent(aHome);
    await marked('198.51.100.4');
    await marked('198.51.100.5');
    const orders = await waitFor('both orders executed in the manager', 30_000, async () => {
      const o = await api(manager, 'GET', '/orders?agent=001');
      const items = (o.body as { items: { seq: number; state: string }[] }).items;
      return items.filter((i) => i.state === 'executed').length === 3 ? items : undefined;
    });
    assert.deepEqual(orders.map((o) => o.seq).sort(), [1, 2, 3]);
  });
});
