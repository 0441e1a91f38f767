/**
 * Refused requests without a valid token are audited one by one up to a rate per source and
 * overall (src/manager-api/anonymous-audit-limit.ts); the rest are counted in a metric and
 * summarised in a warning. Requests with a valid token, and anonymous ones that succeed, are
 * always audited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonLog } from '../../src/log/daemon-log.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

function warnings(): { log: DaemonLog; lines: string[] } {
  const lines: string[] = [];
  const none = (): void => undefined;
  const log: DaemonLog = {
    debug: none,
    info: none,
    warn: (m) => {
      lines.push(m);
    },
    error: none,
    flush: none,
  };
  return { log, lines };
}

async function refuse(f: ApiFixture, n: number, remoteAddress: string, headers = {}): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    const res = await f.app.inject({ method: 'DELETE', url: '/agents/002', remoteAddress, headers });
    assert.ok(res.statusCode === 401 || res.statusCode === 403, String(res.statusCode));
  }
}

const unrecordedMetric = async (f: ApiFixture): Promise<string | undefined> =>
  /^riposte_audit_unrecorded_total (\d+)$/m.exec(await f.metrics.render())?.[1];

test('an anonymous flood is audited up to the per-source rate; token holders and enrollments always', async () => {
  const { log, lines } = warnings();
  const f = await apiFixture({
    anonymousAuditLimits: { perSource: 3, overall: 50, windowMs: 60_000, maxSources: 100 },
    log,
  });
  try {
    await refuse(f, 10, '198.51.100.7');
    await refuse(f, 10, '198.51.100.7', f.auth('read'));
    await refuse(f, 4, '198.51.100.8');
    const enrolled = await f.app.inject({
      method: 'POST',
      url: '/enroll',
      remoteAddress: '198.51.100.7',
      payload: { name: 'web', password: 'hunter2-password' },
    });
    assert.equal(enrolled.statusCode, 201);
    const rows = f.store.audit.list(100).reverse();
    const of = (remote: string, status: number): number =>
      rows.filter((r) => r.remote === remote && r.status === status).length;
    assert.equal(of('198.51.100.7', 401), 3, 'three anonymous refusals of the first source');
    assert.equal(of('198.51.100.8', 401), 3, 'the second source has its own three');
    assert.equal(of('198.51.100.7', 403), 10, "a token holder's refusals are all recorded");
    assert.equal(of('198.51.100.7', 201), 1, 'a successful anonymous request is recorded');
    assert.equal(rows.length, 17);
    assert.equal(await unrecordedMetric(f), '8');
    assert.deepEqual(lines, [], 'the window has not ended');

    f.clock.now += 60_000;
    await refuse(f, 1, '198.51.100.7');
    assert.equal(f.store.audit.list(100).length, 18, 'a new window records again');
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /^Audit: 8 refused request\(s\) without a valid token in the 60 s from \S+ were not recorded one by one \(rate limit\); most from 198\.51\.100\.7 \(7\), 198\.51\.100\.8 \(1\)\.$/,
    );
    await refuse(f, 5, '198.51.100.7');
  } finally {
    await f.close();
  }
  assert.equal(lines.length, 2, 'closing the API reports the last window');
  assert.match(lines[1] ?? '', /^Audit: 3 refused request\(s\) .* most from 198\.51\.100\.7 \(3\)\.$/);
});

test('the overall rate holds across sources (a flood from many addresses)', async () => {
  const f = await apiFixture({
    anonymousAuditLimits: { perSource: 3, overall: 20, windowMs: 60_000, maxSources: 100 },
  });
  try {
    for (let i = 1; i <= 40; i += 1) {
      await refuse(f, 2, `2001:db8:${i.toString(16)}::1`);
    }
    assert.equal(f.store.audit.list(1000).length, 20);
    assert.equal(await unrecordedMetric(f), '60');
  } finally {
    await f.close();
  }
});
