/**
 * `riposte ar history` filters (src/cli/history-filters.ts): the query they make, and, with
 * `--follow`, the same filters applied to the live feed one execution at a time (the feed itself
 * is not filtered by the API).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { executionView } from '../../../src/api/routes/views.js';
import { printExecutionStream } from '../../../src/cli/follow-executions.js';
import { anyFilter, historyFilters, matchesFilters } from '../../../src/cli/history-filters.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { toApiTimes } from '../../../src/protocol/api-times.js';
import type { FleetExecution } from '../../../src/protocol/fleet-records.js';
import { execution } from '../../manager-api/fake-manager-service.js';

const NOW = 1_700_000_000_000;

const exec = (id: number, over: Partial<FleetExecution>): FleetExecution => ({
  ...execution('001', id),
  ...over,
});

test('durations become epoch ms before now; other times and values pass as given', () => {
  assert.deepEqual(historyFilters({ since: '90s', until: '2d' }, NOW), {
    key: undefined,
    status: undefined,
    command: undefined,
    alert: undefined,
    since: String(NOW - 90_000),
    until: String(NOW - 2 * 86_400_000),
  });
  const f = historyFilters({ since: '2026-12-01T00:00:00Z', until: '1700000000000', alertId: 'x.1' }, NOW);
  assert.equal(f.since, '2026-12-01T00:00:00Z');
  assert.equal(f.until, '1700000000000');
  assert.equal(f.alert, 'x.1');
  assert.equal(anyFilter(f), true);
  assert.equal(anyFilter(historyFilters({}, NOW)), false);
  assert.throws(
    () => historyFilters({ status: 'done' }, NOW),
    (err: unknown) =>
      exitCodeFor(err) === 2 && /--status: "done" is not one of ok, failed, timed-out/.test(String(err)),
  );
});

test('a time that is none of the forms is a usage error naming the flag, before any request', () => {
  for (const [flags, flag, text] of [
    [{ since: 'yesterday' }, '--since', 'yesterday'],
    [{ until: '2026-13-01' }, '--until', '2026-13-01'],
    [{ since: '15 m' }, '--since', '15 m'],
  ] as const) {
    assert.throws(
      () => historyFilters(flags, NOW),
      (err: unknown) =>
        exitCodeFor(err) === 2 &&
        String(err).includes(
          `${flag}: "${text}" is not a time: ISO 8601 (2026-12-05T10:00:00Z), epoch ms, or a duration ago (15m, 2h, 7d)`,
        ),
      flag,
    );
  }
});

test('the followed feed prints only the executions the filters keep', async () => {
  const feed = [
    exec(1, {}),
    exec(2, { status: 'failed', exitCode: 1 }),
    exec(3, {
      status: 'failed',
      exitCode: 1,
      arName: 'route-null600',
      program: 'active-response/bin/route-null',
    }),
    exec(4, { status: 'failed', exitCode: 1, key: 'firewall-drop-10.0.0.2', alertId: 'a2' }),
  ];
  const text = feed.map((e) => `event: execution\ndata: ${JSON.stringify(toApiTimes(e))}\n\n`).join('');
  const ids = async (flags: Parameters<typeof historyFilters>[0]): Promise<number[]> => {
    const out: string[] = [];
    const filters = historyFilters(flags, NOW);
    await printExecutionStream(Readable.from([text]), {
      json: true,
      out: (t) => void out.push(t),
      keep: (e) => matchesFilters(filters, e),
    });
    return out.map((l) => (JSON.parse(l) as { id: number }).id);
  };
  assert.deepEqual(await ids({}), [1, 2, 3, 4]);
  assert.deepEqual(await ids({ status: 'failed' }), [2, 3, 4]);
  assert.deepEqual(await ids({ status: 'failed', command: 'firewall-drop' }), [2, 4]);
  assert.deepEqual(await ids({ command: 'route-null600' }), [3]);
  assert.deepEqual(await ids({ key: 'firewall-drop-10.0.0.2' }), [4]);
  assert.deepEqual(await ids({ alertId: 'a1' }), [1, 2, 3]);
  assert.equal(matchesFilters(historyFilters({}, NOW), executionView(toApiTimes(exec(5, {})))), true);
});
