/**
 * The runtime entry (`createManagerApi`): first start writes the admin token (0600) into
 * `<home>/var/admin.token`, the handle serves requests on a real (loopback) server, metrics follow
 * the service, and a restart keeps the tokens.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  adminTokenPath,
  apiDbPath,
  createManagerApi,
  type ManagerApiRuntimeHandle,
} from '../../src/manager-api/create-manager-api.js';
import { FakeManagerService } from './fake-manager-service.js';
import type { AuditEntry } from '../../src/protocol/api-access.js';
import { openSqliteApiStore } from '../../src/store/sqlite-api-tokens.js';

async function serve(handle: ManagerApiRuntimeHandle): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer((req, res) => {
    handle.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

void describe('createManagerApi', () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
  });
  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  void test('first start writes a working admin token; a restart keeps it and writes no other', async () => {
    const service = new FakeManagerService();
    const handle = (await createManagerApi({ service, home })) as ManagerApiRuntimeHandle;
    const token = fs.readFileSync(adminTokenPath(home), 'utf8').trim();
    assert.equal(fs.statSync(adminTokenPath(home)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(apiDbPath(home)).mode & 0o777, 0o600);
    const { server, base } = await serve(handle);
    try {
      const res = await fetch(`${base}/tokens`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { items: { name: string; role: string }[] };
      assert.deepEqual(
        body.items.map((t) => [t.name, t.role]),
        [['admin', 'admin']],
      );
      service.emit({ type: 'alert-ingested', count: 4 });
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.match(await metrics.text(), /^riposte_alerts_ingested_total 4$/m);
      const anon = await fetch(`${base}/agents`);
      assert.equal(anon.status, 401);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await handle.close();
    }

    const again = await createManagerApi({ service: new FakeManagerService(), home });
    try {
      assert.equal(fs.readFileSync(adminTokenPath(home), 'utf8').trim(), token, 'the file is not rewritten');
      const { server: s2, base: b2 } = await serve(again as ManagerApiRuntimeHandle);
      const res = await fetch(`${b2}/agents`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      await new Promise((resolve) => s2.close(resolve));
    } finally {
      await again.close();
    }
  });

  void test('audit entries older than the retention are deleted after an audited request: 365 days by default', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const old = (daysAgo: number): AuditEntry => ({
      at: Date.now() - daysAgo * DAY,
      tokenId: undefined,
      tokenName: undefined,
      role: undefined,
      method: 'POST',
      path: `/alerts/${daysAgo}`,
      status: 202,
      agents: undefined,
      remote: undefined,
    });
    const seed = openSqliteApiStore(apiDbPath(home));
    for (const days of [400, 2]) {
      seed.audit.append(old(days));
    }
    seed.close();
    /** One audited request (a refused one counts too) through a handle made with `extra`; the paths left. */
    const afterOneRequest = async (extra: {
      auditHistoryMs?: number;
      isLeader?: () => boolean;
    }): Promise<string[]> => {
      const handle = (await createManagerApi({
        service: new FakeManagerService(),
        home,
        ...extra,
      })) as ManagerApiRuntimeHandle;
      const { server, base } = await serve(handle);
      try {
        assert.equal((await fetch(`${base}/tokens`, { method: 'POST' })).status, 401);
      } finally {
        await new Promise((resolve) => server.close(resolve));
        await handle.close(); // waits for the prune run the request started
      }
      const check = openSqliteApiStore(apiDbPath(home));
      try {
        return check.audit.list(10).map((e) => e.path);
      } finally {
        check.close();
      }
    };
    assert.deepEqual(await afterOneRequest({}), ['/tokens', '/alerts/2'], 'the 400-day-old entry went');
    assert.deepEqual(
      await afterOneRequest({ auditHistoryMs: DAY, isLeader: () => false }),
      ['/tokens', '/tokens', '/alerts/2'],
      "a cluster node off the timers' lease prunes nothing",
    );
    assert.deepEqual(
      await afterOneRequest({ auditHistoryMs: DAY, isLeader: () => true }),
      ['/tokens', '/tokens', '/tokens'],
      'a day kept',
    );
  });
});
