/**
 * Issue 13.9: reads are limited in concurrency (503 + Retry-After beyond 32 at once) and in size
 * (`limit` at most 1000), so 1,000 concurrent `GET /executions?limit=1000` answer 200 or 503 with
 * bounded memory instead of queueing every answer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { MAX_CONCURRENT_READS } from '../../src/manager-api/read-limit.js';

let f: ApiFixture;

before(async () => {
  f = await apiFixture();
  // 1,000 rows with a 1 KiB tail each.
  const [first] = f.service.executions;
  assert.ok(first);
  f.service.executions = Array.from({ length: 1000 }, (_, i) => ({
    ...first,
    id: i + 1,
    stderrTail: 'e'.repeat(1024),
  }));
});

after(async () => {
  await f.close();
});

test('1,000 concurrent GET /executions?limit=1000: each 200 or 503 + Retry-After, memory bounded', async () => {
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sample = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  const answers = await Promise.all(
    Array.from({ length: 1000 }, () =>
      f.app.inject({ method: 'GET', url: '/executions?limit=1000', headers: f.auth('read') }),
    ),
  );
  clearInterval(sample);
  const ok = answers.filter((r) => r.statusCode === 200);
  const busy = answers.filter((r) => r.statusCode === 503);
  assert.equal(ok.length + busy.length, 1000, 'nothing but 200 and 503');
  assert.ok(ok.length >= MAX_CONCURRENT_READS, `at least one full wave served (${ok.length})`);
  assert.ok(busy.length > 0, 'the excess is refused, not queued');
  for (const r of busy) {
    assert.equal(r.headers['retry-after'], '1');
    assert.match(r.json<{ error: { message: string } }>().error.message, /Too many reads at once/);
  }
  const growthMb = (peakRss - rssBefore) / 1024 / 1024;
  console.log(`200: ${ok.length}, 503: ${busy.length}, peak RSS growth ${growthMb.toFixed(0)} MB`);
  // Unbounded, 1,000 answers of ~1.5 MB each would be held at once (~1.5 GB).
  assert.ok(growthMb < 1500, `peak RSS growth ${growthMb.toFixed(0)} MB`);
});

test('limit above 1000 is refused (400)', async () => {
  const r = await f.app.inject({ method: 'GET', url: '/executions?limit=1001', headers: f.auth('read') });
  assert.equal(r.statusCode, 400);
});
