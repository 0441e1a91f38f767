/**
 * `riposte manager migrate-store --home DIR --to postgres://...` (issue 11 item 5): a populated
 * SQLite manager store, copied by the real CLI into an empty PostgreSQL store, reads back the same
 * through the PostgreSQL adapter (agents, tokens, orders with states and seqs, the seq counters,
 * executions, active lists, settings, the home's CA and password, the API tokens and audit of
 * `var/api.db`); a non-empty target is refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CA_CERT_SETTING, ENROLL_PASSWORD_SETTING } from '../../src/cluster/shared-pki.js';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import { openPgManagerStore } from '../../src/store/pg-manager-store.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import { openSqliteApiStore } from '../../src/store/sqlite-api-tokens.js';
import { openPgApiStore } from '../../src/store/pg-api-store.js';
import { mintApiToken, verifyApiToken } from '../../src/manager-api/api-tokens.js';
import type { AuditEntry } from '../../src/protocol/api-access.js';
import { startPgServer } from '../cluster/support/pg-server.js';
import { MAIN, makeDir, removeDir } from '../manager/support/fleet.js';
import { activeFor, addAgent, execution, newOrder, seqs } from './manager-store.fixtures.js';

const root = makeDir('migrate-store');
after(() => {
  removeDir(root);
});

async function populate(s: ManagerStore): Promise<void> {
  await addAgent(s, 'web-01', 'fp-1');
  await addAgent(s, 'db-01', 'fp-2');
  await s.addEnrollToken('hash-1', 'web-02', 5, 9_999_999_999_999);
  for (let i = 0; i < 3; i++) {
    await s.enqueueOrder(newOrder({ agentId: '001', alertId: `a${i}` }));
  }
  await s.enqueueOrder(newOrder({ agentId: '002' }));
  await s.updateOrder('001', 1, {
    state: 'executed',
    deliveredAt: 2,
    executedAt: 3,
    outcome: 'ok',
    executionId: 7,
    key: 'k1',
  });
  await s.updateOrder('001', 2, { state: 'delivered', deliveredAt: 4 });
  await s.recordExecution(execution('001', 7));
  await s.putActive(activeFor('001', 'k1'), 3);
  await s.setSetting('alerts.json:/var/ossec/logs/alerts/alerts.json', '{"ino":1,"offset":4096}');
}

const auditRow = (at: number, p: string): AuditEntry => ({
  at,
  tokenId: undefined,
  tokenName: undefined,
  role: undefined,
  method: 'POST',
  path: p,
  status: 200,
  agents: undefined,
  remote: undefined,
});

function migrate(home: string, to: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [MAIN, 'manager', 'migrate-store', '--home', home, '--to', to], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('migrate-store copies a populated SQLite store into PostgreSQL and refuses a non-empty target', async () => {
  const home = path.join(root, 'manager');
  mkdirSync(path.join(home, 'var'), { recursive: true });
  mkdirSync(path.join(home, 'etc', 'pki'), { recursive: true });
  writeFileSync(path.join(home, 'etc', 'pki', 'ca.pem'), 'CERT\n');
  writeFileSync(path.join(home, 'etc', 'pki', 'ca.key'), 'KEY\n');
  writeFileSync(path.join(home, 'etc', 'authd.pass'), 'hunter22\n');
  const sqlite = openSqliteManagerStore(path.join(home, 'var', 'manager.db'));
  await populate(sqlite);
  const before = {
    agents: await sqlite.listAgents(),
    orders: await sqlite.listOrders({ limit: 100 }),
    executions: await sqlite.listExecutions({ limit: 100 }),
    active: await sqlite.listActive(),
  };
  await sqlite.close();
  // The API store beside it: a token (hash only) and two audit rows.
  const api = openSqliteApiStore(path.join(home, 'var', 'api.db'));
  const minted = await mintApiToken(api.tokens, { name: 'ci', role: 'operator', now: 1000 });
  api.audit.append(auditRow(1, '/tokens'));
  api.audit.append(auditRow(2, '/orders'));
  api.close();

  const server = await startPgServer();
  try {
    const r = migrate(home, server.url);
    assert.equal(r.status, 0, r.out);
    assert.match(
      r.out,
      /copied agents 2, enroll_tokens 1, orders 4, executions 1, active 1, settings 4, api_tokens 1, audit_log 2/,
    );
    const pgApi = await openPgApiStore(server.url);
    try {
      assert.equal((await verifyApiToken(pgApi.tokens, minted.token, 2000))?.name, 'ci', 'the token works');
      assert.deepEqual(
        (await pgApi.audit.list(10)).map((e) => [e.at, e.path]),
        [
          [2, '/orders'],
          [1, '/tokens'],
        ],
      );
      await pgApi.audit.append(auditRow(3, '/after'));
      assert.equal((await pgApi.audit.list(1))[0]?.path, '/after', 'the audit numbering continues');
    } finally {
      await pgApi.close();
    }
    const pg = await openPgManagerStore(server.url);
    try {
      assert.deepEqual(await pg.listAgents(), before.agents);
      assert.deepEqual(await pg.listOrders({ limit: 100 }), before.orders);
      assert.deepEqual(await pg.listExecutions({ limit: 100 }), before.executions);
      assert.deepEqual(await pg.listActive(), before.active);
      assert.deepEqual(await pg.checkEnrollToken('hash-1', 'web-02', 10), { ok: true, name: 'web-02' });
      assert.equal(
        await pg.getSetting('alerts.json:/var/ossec/logs/alerts/alerts.json'),
        '{"ino":1,"offset":4096}',
      );
      assert.equal(await pg.getSetting(CA_CERT_SETTING), 'CERT\n');
      assert.equal(await pg.getSetting(ENROLL_PASSWORD_SETTING), 'hunter22');
      // The per-agent seq counters continue where SQLite stopped; agent ids too.
      assert.equal((await pg.enqueueOrder(newOrder({ agentId: '001' }))).seq, 4);
      assert.equal((await pg.enqueueOrder(newOrder({ agentId: '002' }))).seq, 2);
      assert.deepEqual(seqs(await pg.queuedOrders('001')), [3, 4]);
      assert.equal(await pg.nextAgentId(), '003');
      assert.equal(await pg.recordExecution(execution('001', 8)), true);
    } finally {
      await pg.close();
    }
    const again = migrate(home, server.url);
    assert.notEqual(again.status, 0, again.out);
    assert.match(again.out, /--to: the PostgreSQL store is not empty/);
  } finally {
    await server.stop();
  }
});

test('migrate-store copies text PostgreSQL cannot hold (a NUL, a lone surrogate) as U+FFFD', async () => {
  const home = path.join(root, 'manager-text');
  mkdirSync(path.join(home, 'var'), { recursive: true });
  const sqlite = openSqliteManagerStore(path.join(home, 'var', 'manager.db'));
  await addAgent(sqlite, 'web-01', 'fp-1');
  await sqlite.enqueueOrder(newOrder({ agentId: '001' }));
  await sqlite.updateOrder('001', 1, { state: 'delivered', deliveredAt: 2, note: 'n\u0000' });
  await sqlite.recordExecution(execution('001', 7, { stderrTail: 'bad \u0000 byte', user: 'u\ud800' }));
  await sqlite.putActive(activeFor('001', 'k1', { user: 'a\u0000b' }), 3);
  await sqlite.close();

  const server = await startPgServer();
  try {
    const r = migrate(home, server.url);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /copied agents 1, enroll_tokens 0, orders 1, executions 1, active 1/);
    const pg = await openPgManagerStore(server.url);
    try {
      assert.equal((await pg.getOrder('001', 1))?.note, 'n\ufffd');
      const [e] = await pg.listExecutions({ limit: 10 });
      assert.deepEqual([e?.stderrTail, e?.user], ['bad \ufffd byte', 'u\ufffd']);
      assert.equal((await pg.listActive('001'))[0]?.user, 'a\ufffdb');
    } finally {
      await pg.close();
    }
  } finally {
    await server.stop();
  }
});
