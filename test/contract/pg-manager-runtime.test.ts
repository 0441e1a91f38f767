/**
 * A cluster node's store is the cluster's PostgreSQL: two managers started with
 * `startManagerRuntime({ cluster: { storeUrl } })` on a private PostgreSQL (pg-server.ts; fails
 * clearly when it cannot start) share one enrollment password and one agent list, and nothing is
 * written to either node's SQLite file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { createManagerStore } from '../../src/store/create-manager-store.js';
import { startPgServer } from '../cluster/support/pg-server.js';

const root = mkdtempSync(path.join(tmpdir(), 'riposte-pg-runtime-'));
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');
after(() => {
  rmSync(root, { recursive: true, force: true });
});

test('two manager nodes on one PostgreSQL share the enrollment password and the agents', async () => {
  const pg = await startPgServer();
  const nodes: ManagerRuntime[] = [];
  try {
    for (const name of ['a', 'b']) {
      nodes.push(
        await startManagerRuntime({
          configPath: conf,
          home: path.join(root, name),
          listen: { host: '127.0.0.1', port: 0 },
          localAgent: false,
          cluster: { storeUrl: pg.url, bus: 'postgres' },
        }),
      );
    }
    const [a, b] = nodes;
    assert.ok(a && b);
    const password = readFileSync(a.passwordFile, 'utf8').trim();
    assert.equal(readFileSync(b.passwordFile, 'utf8').trim(), password, 'B adopted the shared password');
    await a.service.enroll({ name: 'web-1', password }, '127.0.0.1');
    const names = (await b.service.listAgents()).map((x) => x.name);
    assert.ok(names.includes('web-1'), `B lists the agent enrolled through A: ${names.join(', ')}`);
    const shared = await createManagerStore(pg.url);
    try {
      assert.deepEqual(
        (await shared.listAgents()).map((x) => x.name),
        ['web-1'],
      );
    } finally {
      await shared.close();
    }
    for (const name of ['a', 'b']) {
      assert.equal(
        existsSync(path.join(root, name, 'var', 'manager.db')),
        false,
        `no SQLite store on ${name}`,
      );
    }
  } finally {
    for (const n of nodes) {
      await n.stop();
    }
    await pg.stop();
  }
});
