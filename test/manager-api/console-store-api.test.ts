/**
 * The console's store-backed API features over a REAL manager service and SQLite store (in
 * process, fastify inject): history written to manager.db before the manager starts (and again
 * after a restart) is what the Overview's 24 h chart counts and what the History filters search,
 * over all of it (not the newest 1,000), with cursor pages and exports following the filters;
 * enrollment tokens are listed without their secret and removed (admin only, audited with the
 * caller's token); `GET /rules/check` reads the file as it is now; `GET /alerts/recent` returns
 * the whole alert an order came from.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { buildManagerApi } from '../../src/manager-api/build-manager-api.js';
import { mintApiToken } from '../../src/manager-api/api-tokens.js';
import { ManagerMetrics } from '../../src/manager/metrics.js';
import { openSqliteApiStore, type SqliteApiStore } from '../../src/store/sqlite-api-tokens.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import type { Role } from '../../src/protocol/api-access.js';
import type { FleetExecution } from '../../src/protocol/fleet-records.js';
import { execution } from './fake-manager-service.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-console-store-'));
const home = path.join(root, 'manager');
const conf = path.join(root, 'ossec.conf');
const VALID_CONF = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><level>10</level><timeout>600</timeout></active-response>
</ossec_config>
`;
/** Fixed "now" of the API clock; rows are placed relative to it. */
const NOW = Date.now();

let m: ManagerRuntime;
let api: ReturnType<typeof buildManagerApi>;
let tokenStore: SqliteApiStore;
let tokens: Record<Role, string>;

/** 1,500 executions: 1,200 received 23 h ago (every 100th failed), then 300 in the last minutes. */
async function seedHistory(): Promise<void> {
  fs.mkdirSync(path.join(home, 'var'), { recursive: true, mode: 0o750 });
  const s = openSqliteManagerStore(path.join(home, 'var', 'manager.db'));
  await s.batch(async (tx) => {
    for (let id = 1; id <= 1500; id++) {
      const old = id <= 1200;
      const receivedAt = old ? NOW - 23 * HOUR + (id % 30) * MINUTE : NOW - (id % 5) * MINUTE;
      const e: FleetExecution = {
        ...execution('001', id),
        key: `firewall-drop-10.1.${id >> 8}.${id & 255}`,
        startedAt: receivedAt - 10,
        endedAt: receivedAt - 5,
        receivedAt,
        ...(old && id % 100 === 0 ? { status: 'failed', exitCode: 1 } : {}),
      };
      await tx.recordExecution(e);
    }
    for (let i = 1; i <= 3; i++) {
      const alert = {
        timestamp: '2026-11-30T08:00:00.000+0000',
        rule: { level: 10, id: '5763', groups: ['sshd'] },
        agent: { id: '001', name: 'web' },
        id: `1764489600.${i}`,
        data: { srcip: `203.0.113.${i}` },
        custom_field: { kept: true },
      };
      const payload = JSON.stringify({
        version: 1,
        origin: { name: 'node01', module: 'wazuh-analysisd' },
        command: 'firewall-drop600',
        parameters: { extra_args: [], alert },
      });
      for (const agentId of ['001', '002']) {
        await tx.enqueueOrder({
          agentId,
          kind: 'add',
          source: 'alert',
          arName: 'firewall-drop600',
          key: undefined,
          alertId: alert.id,
          payload,
          createdAt: NOW - (10 - i) * MINUTE,
          expiresAt: NOW + HOUR,
        });
      }
    }
  });
  for (const id of ['001', '002']) {
    await s.insertAgent({
      id,
      name: `web-${id}`,
      fingerprint: `AB:${id}`,
      registeredAt: NOW - 48 * HOUR,
      removedAt: undefined,
      lastSeen: undefined,
      version: undefined,
      address: undefined,
      arDisabled: false,
    });
  }
  await s.close();
}

async function startManager(): Promise<void> {
  m = await startManagerRuntime({
    configPath: conf,
    home,
    listen: { host: '127.0.0.1', port: 0 },
    localAgent: false,
  });
  api = buildManagerApi({
    service: m.service,
    tokens: tokenStore.tokens,
    audit: tokenStore.audit,
    metrics: new ManagerMetrics(),
    now: () => NOW,
    home,
  });
  await api.ready();
}

async function stopManager(): Promise<void> {
  await api.close();
  await m.stop();
}

// The caller names the JSON shape it expects (a test helper, like light-my-request's json<T>()).
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
async function get<T>(url: string, role: Role = 'read'): Promise<{ status: number; body: T; text: string }> {
  const res = await api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[role]}` } });
  return {
    status: res.statusCode,
    body: (res.headers['content-type']?.toString().startsWith('application/json')
      ? res.json()
      : undefined) as T,
    text: res.body,
  };
}

interface Page {
  items: FleetExecution[];
  nextCursor?: string;
}

before(async () => {
  fs.writeFileSync(conf, VALID_CONF);
  await seedHistory();
  tokenStore = openSqliteApiStore(':memory:');
  const mint = async (role: Role): Promise<string> =>
    (await mintApiToken(tokenStore.tokens, { name: `${role}-token`, role, now: NOW })).token;
  tokens = { read: await mint('read'), operator: await mint('operator'), admin: await mint('admin') };
  await startManager();
});

after(async () => {
  await stopManager();
  tokenStore.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

test('the overview chart counts every execution of the last 24 h from the store, also after a restart', async () => {
  for (const round of ['first start', 'after a restart']) {
    const { status, body } = await get<{
      perMinute: { minutes: number[]; series: Record<string, number[]> };
    }>('/overview');
    assert.equal(status, 200);
    const { minutes, series } = body.perMinute;
    assert.equal(minutes.length, 24 * 60, round);
    assert.equal(sum(series['ok'] ?? []), 1500 - 12, round);
    assert.equal(sum(series['failed'] ?? []), 12, round);
    if (round === 'first start') {
      await stopManager();
      await startManager();
    }
  }
});

test('history filters search all executions with cursor pages; the export follows the same filters', async () => {
  const failed: FleetExecution[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const r = await get<Page>(
      `/executions?status=failed&limit=5${cursor === undefined ? '' : `&cursor=${cursor}`}`,
    );
    assert.equal(r.status, 200, r.text);
    failed.push(...r.body.items);
    cursor = r.body.nextCursor;
    if (cursor === undefined) {
      break;
    }
  }
  assert.deepEqual(
    failed.map((e) => e.id),
    [1200, 1100, 1000, 900, 800, 700, 600, 500, 400, 300, 200, 100],
    'the failed executions are all older than the newest 1,000',
  );
  const csv = await get<undefined>('/executions?status=failed&format=csv');
  assert.equal(csv.status, 200);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines.length, 1 + 12);
  assert.ok(lines.slice(1).every((l) => l.includes(',failed,')));
  const ndjson = await get<undefined>(
    `/executions?format=ndjson&since=${new Date(NOW - 2 * HOUR).toISOString()}`,
  );
  assert.equal(ndjson.text.trim().split('\n').length, 300, 'every match of the time range, not one page');
  const byKey = await get<Page>('/executions?key=firewall-drop-10.1.0.7');
  assert.deepEqual(
    byKey.body.items.map((e) => e.id),
    [7],
  );
});

test('enrollment tokens: listed without the secret, removed by an admin (audited), then refused', async () => {
  const { token } = await m.service.addEnrollmentToken('web-07', HOUR);
  const listed = await get<{ items: { id: string; name: string; createdAt: string; expiresAt: string }[] }>(
    '/agents/tokens',
    'admin',
  );
  assert.equal(listed.status, 200);
  assert.ok(!listed.text.includes(token), 'the token itself is never listed');
  const item = listed.body.items.find((t) => t.name === 'web-07');
  assert.ok(item);
  assert.match(item.id, /^[0-9a-f]{12}$/);
  assert.match(item.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal((await get('/agents/tokens', 'operator')).status, 403);
  const byOperator = await api.inject({
    method: 'DELETE',
    url: `/agents/tokens/${item.id}`,
    headers: { authorization: `Bearer ${tokens.operator}` },
  });
  assert.equal(byOperator.statusCode, 403);
  const removed = await api.inject({
    method: 'DELETE',
    url: `/agents/tokens/${item.id}`,
    headers: { authorization: `Bearer ${tokens.admin}` },
  });
  assert.equal(removed.statusCode, 200, removed.body);
  assert.equal(removed.json<{ name: string }>().name, 'web-07');
  const again = await api.inject({
    method: 'DELETE',
    url: `/agents/tokens/${item.id}`,
    headers: { authorization: `Bearer ${tokens.admin}` },
  });
  assert.equal(again.statusCode, 400);
  const audit = tokenStore.audit.list(10).filter((e) => e.path === `/agents/tokens/${item.id}`);
  assert.deepEqual(
    audit.map((e) => [e.method, e.status, e.tokenName]),
    [
      ['DELETE', 400, 'admin-token'],
      ['DELETE', 200, 'admin-token'],
      ['DELETE', 403, 'operator-token'],
    ],
  );
  await assert.rejects(m.service.enroll({ name: 'web-07', token }, '127.0.0.1'), /Enrollment refused/);
});

test('rules check reads the file as it is now; the loaded rules stay', async () => {
  const fresh = await get<{ ok: boolean; diagnostics: { severity: string; message: string }[] }>(
    '/rules/check',
  );
  assert.equal(fresh.status, 200);
  assert.equal(fresh.body.ok, true);
  fs.writeFileSync(conf, VALID_CONF.replace('<level>10</level>', '<level>ten</level>'));
  try {
    const broken = await get<{ ok: boolean; diagnostics: { severity: string; message: string }[] }>(
      '/rules/check',
    );
    assert.equal(broken.body.ok, false);
    assert.ok(
      broken.body.diagnostics.some((d) => d.severity === 'error' && d.message.includes(`${conf}:`)),
      JSON.stringify(broken.body.diagnostics),
    );
    const loaded = await get<{ rules: unknown[] }>('/rules');
    assert.equal(loaded.body.rules.length, 1);
  } finally {
    fs.writeFileSync(conf, VALID_CONF);
  }
});

test('rules check also reports executables missing or not executable in <home>/active-response/bin', async () => {
  const before = await get<{ executablesChecked: boolean }>('/rules/check');
  assert.equal(before.body.executablesChecked, false, 'no active-response/bin on this manager');
  const bin = path.join(home, 'active-response', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'notify-team.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  fs.writeFileSync(
    conf,
    VALID_CONF.replace(
      '</ossec_config>',
      `  <command><name>notify</name><executable>notify-team.sh</executable></command>
  <command><name>ticket</name><executable>notify-teem.sh</executable></command>
  <active-response><command>notify</command><location>local</location><level>5</level></active-response>
  <active-response><command>ticket</command><location>local</location><level>5</level></active-response>
</ossec_config>`,
    ),
  );
  try {
    const r = await get<{
      ok: boolean;
      executablesChecked: boolean;
      diagnostics: { severity: string; message: string }[];
    }>('/rules/check');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.executablesChecked, true);
    assert.equal(r.body.ok, false);
    const errors = r.body.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    assert.equal(errors.length, 2, JSON.stringify(errors));
    assert.match(
      errors.find((e) => e.includes("'notify-team.sh'")) ?? '',
      /is not executable \(chmod 750 it\)/,
    );
    assert.match(
      errors.find((e) => e.includes("'notify-teem.sh'")) ?? '',
      /does not exist\..*notify-team\.sh/,
    );
    assert.ok(errors.every((e) => e.startsWith(`${conf}:`)));
    fs.chmodSync(path.join(bin, 'notify-team.sh'), 0o750);
    fs.copyFileSync(path.join(bin, 'notify-team.sh'), path.join(bin, 'notify-teem.sh'));
    fs.chmodSync(path.join(bin, 'notify-teem.sh'), 0o750);
    const fixed = await get<{ ok: boolean; diagnostics: { severity: string }[] }>('/rules/check');
    assert.equal(fixed.body.ok, true, JSON.stringify(fixed.body.diagnostics));
  } finally {
    fs.writeFileSync(conf, VALID_CONF);
    fs.rmSync(path.join(home, 'active-response'), { recursive: true, force: true });
  }
});

test('failing executions on the overview come from the whole history, not the newest 1,000', async () => {
  const r = await get<{ failing: FleetExecution[] }>('/overview');
  assert.equal(r.status, 200, r.text);
  // Failures are ids 100, 200, ..., 1200 of 1,500: the newest 1,000 would hold only 600..1200.
  assert.deepEqual(
    r.body.failing.map((e) => e.id),
    [1200, 1100, 1000, 900, 800, 700, 600, 500, 400, 300, 200, 100],
  );
});

test("each agent's last error is its newest failed execution in the store", async () => {
  const r = await get<{ items: { id: string; lastError?: string }[] }>('/agents');
  assert.equal(r.status, 200, r.text);
  const byId = new Map(r.body.items.map((a) => [a.id, a.lastError]));
  // Agent 001's newest failure is execution 1,200; 002 has none.
  assert.match(byId.get('001') ?? '', /firewall-drop600 failed/);
  assert.ok(byId.get('001')?.startsWith(new Date(NOW - 23 * HOUR - 10).toISOString()), byId.get('001'));
  assert.equal(byId.get('002'), undefined);
});

test('recent alerts are the whole alerts orders came from, one per alert, newest first', async () => {
  const r = await get<{
    items: { id?: string; agents: string[]; receivedAt: string; alert: Record<string, unknown> }[];
  }>('/alerts/recent?limit=2');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(
    r.body.items.map((a) => [a.id, a.agents]),
    [
      ['1764489600.3', ['001', '002']],
      ['1764489600.2', ['001', '002']],
    ],
  );
  assert.deepEqual(r.body.items[0]?.alert['custom_field'], { kept: true });
  assert.equal(r.body.items[0]?.receivedAt, new Date(NOW - 7 * MINUTE).toISOString());
});
