/**
 * `GET /healthz`, `GET /readyz` (public) and `GET /status` (role read): issue #9 item 4.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonStatus } from '../../src/manager-api/routes/health.js';
import type { ApiTimes } from '../../src/protocol/api-times.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

let f: ApiFixture;
before(async () => {
  f = await apiFixture();
});
after(async () => {
  await f.close();
});

void describe('health and status', () => {
  void test('/healthz answers without a token', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  void test('/readyz: ready without a token; 503 with the reason when the store does not answer', async () => {
    const ok = await f.app.inject({ method: 'GET', url: '/readyz' });
    assert.deepEqual([ok.statusCode, ok.json()], [200, { status: 'ready' }]);
    const stats = f.service.stats.bind(f.service);
    f.service.stats = () => {
      throw new Error('database is locked');
    };
    try {
      const down = await f.app.inject({ method: 'GET', url: '/readyz' });
      assert.deepEqual(
        [down.statusCode, down.json()],
        [503, { status: 'not ready', reason: 'the store does not answer' }],
      );
    } finally {
      f.service.stats = stats;
    }
  });

  void test('/status needs a token and reports agents, active count, orders and the last errors', async () => {
    assert.equal((await f.app.inject({ method: 'GET', url: '/status' })).statusCode, 401);
    const first = f.service.executions[0];
    assert.ok(first);
    f.service.executions = [
      { ...first, id: 9, status: 'failed', exitCode: 1, note: 'boom' },
      ...f.service.executions,
    ];
    const res = await f.app.inject({ method: 'GET', url: '/status', headers: f.auth('read') });
    assert.equal(res.statusCode, 200);
    const s = res.json<ApiTimes<DaemonStatus>>();
    assert.equal(s.daemon.pid, process.pid);
    assert.match(s.daemon.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(s.agents, {
      total: 2,
      connected: 1,
      byStatus: { active: 1, disconnected: 1, never_connected: 0, removed: 0 },
    });
    assert.equal(s.activeResponses, 7);
    assert.equal(s.orders['queued'], 3);
    assert.deepEqual(s.disk, { full: false, fullSince: null });
    assert.deepEqual(
      s.lastErrors.map((e) => [e.id, e.status, e.note]),
      [[9, 'failed', 'boom']],
    );
    assert.equal(s.lastErrors[0]?.startedAt, '1970-01-01T00:00:00.100Z');
  });

  void test('/status finds the last errors however many successes came after them', async () => {
    const saved = { executions: f.service.executions, list: f.service.listExecutions.bind(f.service) };
    const first = saved.executions[0];
    assert.ok(first);
    // Newest first: 300 successes, then 6 older failures (the store's order).
    const ok = Array.from({ length: 300 }, (_, i) => ({ ...first, id: 1000 - i, status: 'ok' as const }));
    const failed = Array.from({ length: 6 }, (_, i) => ({ ...first, id: 10 - i, status: 'failed' as const }));
    f.service.executions = [...ok, ...failed];
    // The newest `limit`, as the real store answers (the fake would return them all).
    f.service.listExecutions = async (filter) => (await saved.list(filter)).slice(0, filter.limit ?? 100);
    try {
      const res = await f.app.inject({ method: 'GET', url: '/status', headers: f.auth('read') });
      const s = res.json<ApiTimes<DaemonStatus>>();
      assert.deepEqual(
        s.lastErrors.map((e) => e.id),
        [10, 9, 8, 7, 6],
      );
    } finally {
      f.service.executions = saved.executions;
      f.service.listExecutions = saved.list;
    }
  });
});
