/**
 * The alerts.json position is kept per node and path (runtime/alerts-position.ts, #11): a one-node
 * SQLite install upgraded from the path-only key keeps its position (no replay, no skip) and keeps
 * it across the next restart under the new key; on a shared store a path-only position is adopted
 * only by the node whose file it describes, and by one node only; `riposte manager migrate-store`
 * moves a path-only position to the migrated home's per-node key, and that node continues from it
 * on PostgreSQL.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeTailPosition, encodeTailPosition } from '../../src/ingest/tail-position.js';
import { nodeIdOf, nodeIdPath } from '../../src/home/node-id.js';
import {
  legacyTailPositionKey,
  loadTailPosition,
  tailPositionKey,
} from '../../src/runtime/alerts-position.js';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { openPgManagerStore } from '../../src/store/pg-manager-store.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import { MAIN, alert, appendAlerts, makeDir, removeDir, waitFor } from '../manager/support/fleet.js';
import { startPgServer } from './support/pg-server.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>defined-agent</location><agent_id>001</agent_id><rules_id>100001</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = makeDir('alerts-position');
after(() => {
  removeDir(root);
});

const AGENT_001 = agentRecord('001', { name: 'web-01', fingerprint: 'AA' });

function startNode(home: string, conf: string, alertsFile: string): Promise<ManagerRuntime> {
  return startManagerRuntime({
    configPath: conf,
    home,
    listen: { host: '127.0.0.1', port: 0 },
    localAgent: false,
    alertsFile,
    alertsStartAt: 'beginning', // a lost position would replay the whole file: visible below
    alertsPollMs: 50,
  });
}

/** The alert numbers (alert(..., n)) of agent 001's orders, oldest first. */
async function orderedAlerts(rt: ManagerRuntime): Promise<string[]> {
  const orders = await rt.service.listOrders({ agentId: '001', limit: 1000 });
  return orders.map((o) => (o.alertId ?? '?').replace(/^1763626517\./, '')).reverse();
}

test('a one-node SQLite install keeps its alerts.json position across the upgrade and the next restart', async () => {
  const home = path.join(root, 'one-node');
  const conf = path.join(root, 'ossec.conf');
  const alertsFile = path.join(root, 'alerts.json');
  writeFileSync(conf, CONFIG);
  writeFileSync(alertsFile, '');
  appendAlerts(alertsFile, [alert('100001', '001', '192.0.2.1', 1), alert('100001', '001', '192.0.2.2', 2)]);
  // What an older Riposte left: agent 001 and the position after both lines, under the path-only key.
  const st = statSync(alertsFile);
  const old = openSqliteManagerStore(path.join(home, 'var', 'manager.db'));
  await old.insertAgent(AGENT_001);
  await old.setSetting(
    legacyTailPositionKey(alertsFile),
    encodeTailPosition({ dev: st.dev, ino: st.ino, offset: st.size }),
  );
  await old.close();

  let rt = await startNode(home, conf, alertsFile);
  try {
    appendAlerts(alertsFile, [alert('100001', '001', '192.0.2.3', 3)]);
    await waitFor(
      'the order of the line appended after the upgrade',
      30_000,
      async () => (await orderedAlerts(rt)).includes('3') || undefined,
    );
    assert.deepEqual(
      await orderedAlerts(rt),
      ['3'],
      'the two lines read before the upgrade are not replayed',
    );
  } finally {
    await rt.stop();
  }
  const nodeId = readFileSync(nodeIdPath(home), 'utf8').trim();
  assert.equal(nodeIdOf(home), nodeId, 'the node id is stable');
  const check = openSqliteManagerStore(path.join(home, 'var', 'manager.db'));
  try {
    assert.equal(
      await check.getSetting(legacyTailPositionKey(alertsFile)),
      undefined,
      'the path-only key is gone',
    );
    const pos = JSON.parse((await check.getSetting(tailPositionKey(nodeId, alertsFile))) ?? '{}') as {
      offset?: number;
    };
    assert.equal(pos.offset, statSync(alertsFile).size, 'the new key holds the position');
  } finally {
    await check.close();
  }

  rt = await startNode(home, conf, alertsFile);
  try {
    appendAlerts(alertsFile, [alert('100001', '001', '192.0.2.4', 4)]);
    await waitFor(
      'the order of the line appended after the restart',
      30_000,
      async () => (await orderedAlerts(rt)).includes('4') || undefined,
    );
    assert.deepEqual(await orderedAlerts(rt), ['3', '4'], 'each line once, across the restart');
  } finally {
    await rt.stop();
  }
});

test('on a shared store, a path-only position goes to the node whose file it describes, once', async () => {
  const dir = path.join(root, 'shared');
  const store = openSqliteManagerStore(':memory:');
  try {
    // One path, two hosts' files: node A's file is the one the position describes; node B sees
    // another file at that path (simulated by swapping a new file in while B looks).
    const file = path.join(root, 'alerts-shared.json');
    writeFileSync(file, '{"a":1}\n');
    const st = statSync(file);
    const value = encodeTailPosition({ dev: st.dev, ino: st.ino, offset: st.size });
    const legacy = legacyTailPositionKey(file);
    await store.setSetting(legacy, value);
    const nodeA = nodeIdOf(path.join(dir, 'a'));
    const nodeB = nodeIdOf(path.join(dir, 'b'));
    assert.notEqual(nodeA, nodeB, 'each home has its own node id');
    const src = (home: string) => ({ store, home, shared: true });

    renameSync(file, `${file}.a`);
    writeFileSync(file, '{"b":2}\n');
    const keyB = tailPositionKey(nodeB, file);
    // B would resume in a file that is not its own (a different inode: offset 0, a full replay).
    assert.equal(await loadTailPosition(src(path.join(dir, 'b')), keyB, file), undefined);
    assert.equal(await store.getSetting(legacy), value, 'left for the node that wrote it');
    renameSync(`${file}.a`, file);

    const keyA = tailPositionKey(nodeA, file);
    assert.deepEqual(await loadTailPosition(src(path.join(dir, 'a')), keyA, file), {
      dev: st.dev,
      ino: st.ino,
      offset: st.size,
    });
    assert.equal(await store.getSetting(legacy), undefined, 'taken');
    assert.equal(await store.getSetting(keyA), value, 'kept under node A key');
    assert.equal(await loadTailPosition(src(path.join(dir, 'b')), keyB, file), undefined, 'only once');
  } finally {
    await store.close();
  }
});

test('migrate-store moves a SQLite install to PostgreSQL: the migrated node continues from its old position', async () => {
  const pgServer = await startPgServer();
  const home = path.join(root, 'migrated');
  const conf = path.join(root, 'ossec-migrated.conf');
  const alertsFile = path.join(root, 'alerts-migrated.json');
  writeFileSync(conf, CONFIG);
  writeFileSync(alertsFile, '');
  const nodes: ManagerRuntime[] = [];
  try {
    appendAlerts(alertsFile, [
      alert('100001', '001', '192.0.2.1', 1),
      alert('100001', '001', '192.0.2.2', 2),
    ]);
    // An older Riposte read lines 1-2 (path-only key), then stopped; line 3 came while it was down.
    const st = statSync(alertsFile);
    const old = openSqliteManagerStore(path.join(home, 'var', 'manager.db'));
    await old.insertAgent(AGENT_001);
    await old.setSetting(
      legacyTailPositionKey(alertsFile),
      encodeTailPosition({ dev: st.dev, ino: st.ino, offset: st.size }),
    );
    await old.close();
    appendAlerts(alertsFile, [alert('100001', '001', '192.0.2.3', 3)]);

    const r = spawnSync(
      process.execPath,
      [MAIN, 'manager', 'migrate-store', '--home', home, '--to', pgServer.url],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const nodeId = nodeIdOf(home);
    const pgStore = await openPgManagerStore(pgServer.url);
    try {
      assert.equal(await pgStore.getSetting(legacyTailPositionKey(alertsFile)), undefined);
      assert.equal(
        decodeTailPosition(await pgStore.getSetting(tailPositionKey(nodeId, alertsFile)))?.offset,
        st.size,
        "the position is the migrated home's",
      );
      // Another node of the cluster tailing the same path on this host cannot take it first.
      const other = path.join(root, 'other-node');
      const src = { store: pgStore, home: other, shared: true };
      assert.equal(
        await loadTailPosition(src, tailPositionKey(nodeIdOf(other), alertsFile), alertsFile),
        undefined,
      );
    } finally {
      await pgStore.close();
    }

    // 'end': a lost position would skip line 3; a path-only one read from 0 would replay 1-2.
    const rt = await startManagerRuntime({
      configPath: conf,
      home,
      listen: { host: '127.0.0.1', port: 0 },
      localAgent: false,
      cluster: { storeUrl: pgServer.url, bus: 'postgres' },
      alertsFile,
      alertsStartAt: 'end',
      alertsPollMs: 50,
    });
    nodes.push(rt);
    await waitFor(
      'the order of the line written while the manager was stopped',
      30_000,
      async () => (await orderedAlerts(rt)).includes('3') || undefined,
    );
    appendAlerts(alertsFile, [alert('100001', '001', '192.0.2.4', 4)]);
    await waitFor(
      'the order of the line appended after the migration',
      30_000,
      async () => (await orderedAlerts(rt)).includes('4') || undefined,
    );
    assert.deepEqual(await orderedAlerts(rt), ['3', '4'], 'nothing replayed, nothing skipped');
  } finally {
    for (const n of nodes) {
      await n.stop();
    }
    await pgServer.stop();
  }
});
