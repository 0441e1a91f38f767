/**
 * The ManagerConsoleStore conformance suite (core/orders/manager-console-store.ts, part of the
 * ManagerStore port): what the console's views rely on. Enrollment tokens listed without their
 * secret and removed by id; execution queries applying every filter over the whole history (not a
 * recent window) with cursor pages that visit each match once, newest first; per-minute counts by
 * outcome over a half-open window; the recent add orders that came from alerts.
 * Run it with a factory returning a fresh, empty store.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ManagerStore, NewOrder } from '../../src/core/orders/manager-store.js';
import type { ExecutionQuery } from '../../src/core/orders/manager-console-store.js';
import type { FleetExecution } from '../../src/protocol/fleet-records.js';

export type MakeStore = () => Promise<ManagerStore>;

async function withStore(make: MakeStore, fn: (s: ManagerStore) => Promise<void>): Promise<void> {
  const s = await make();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

const hash = (token: string): string => createHash('sha256').update(token).digest('hex');

function execution(agentId: string, id: number, over: Partial<FleetExecution> = {}): FleetExecution {
  return {
    id,
    key: `firewall-drop-10.0.${id >> 8}.${id & 255}`,
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    action: 'add',
    agentId,
    alertId: `alert-${id}`,
    ruleId: 5712,
    srcip: `10.0.${id >> 8}.${id & 255}`,
    user: undefined,
    startedAt: 1_000_000 + id,
    endedAt: 1_000_001 + id,
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
    orderSeq: undefined,
    receivedAt: 2_000_000 + id,
    ...over,
  };
}

/** Every page of `q`, following cursors; each page's size is checked against the limit. */
async function allPages(s: ManagerStore, q: ExecutionQuery): Promise<FleetExecution[]> {
  const out: FleetExecution[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await s.queryExecutions({ ...q, ...(cursor === undefined ? {} : { cursor }) });
    assert.ok(page.items.length <= q.limit);
    out.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === undefined) {
      return out;
    }
  }
  assert.fail('cursor paging did not end');
}

const ids = (rows: readonly FleetExecution[]): string[] => rows.map((e) => `${e.agentId}/${e.id}`);

function order(over: Partial<NewOrder>): NewOrder {
  return {
    agentId: '001',
    kind: 'add',
    source: 'alert',
    arName: 'firewall-drop600',
    key: undefined,
    alertId: 'a1',
    payload: '{"parameters":{"alert":{"id":"a1"}}}',
    createdAt: 1,
    expiresAt: 10_000,
    ...over,
  };
}

export function managerConsoleStoreContract(name: string, make: MakeStore): void {
  void describe(`ManagerConsoleStore contract: ${name}`, () => {
    void test('enrollment tokens are listed newest first by hash-prefix id, never the token; removal by id', async () => {
      await withStore(make, async (s) => {
        await s.addEnrollToken(hash('secret-one'), 'web-01', 1_000, 9_000);
        await s.addEnrollToken(hash('secret-two'), 'db-01', 2_000, 9_000);
        await s.useEnrollToken(hash('secret-one'), 'web-01', 1_500);
        const list = await s.listEnrollTokens();
        assert.deepEqual(list, [
          {
            id: hash('secret-two').slice(0, 12),
            name: 'db-01',
            createdAt: 2_000,
            expiresAt: 9_000,
            usedAt: undefined,
          },
          {
            id: hash('secret-one').slice(0, 12),
            name: 'web-01',
            createdAt: 1_000,
            expiresAt: 9_000,
            usedAt: 1_500,
          },
        ]);
        assert.doesNotMatch(JSON.stringify(list), /secret|[0-9a-f]{13,}/);
        const twoId = hash('secret-two').slice(0, 12);
        assert.equal(await s.removeEnrollToken('zzzzzzzzzzzz'), false);
        assert.equal(await s.removeEnrollToken(twoId.slice(0, 6)), false, 'a shorter prefix removes nothing');
        assert.equal(await s.removeEnrollToken(twoId), true);
        assert.equal(await s.removeEnrollToken(twoId), false);
        assert.deepEqual(
          (await s.listEnrollTokens()).map((t) => t.name),
          ['web-01'],
        );
        const use = await s.checkEnrollToken(hash('secret-two'), 'db-01', 3_000);
        assert.deepEqual(use, { ok: false, reason: 'unknown' }, 'a removed token no longer enrolls');
      });
    });

    void test('filters apply over the whole history and cursor pages visit every match once, newest first', async () => {
      await withStore(make, async (s) => {
        // 2,500 executions; the failed ones are among the OLDEST (beyond any "newest 1,000" window).
        await s.batch(async (tx) => {
          for (let id = 1; id <= 2500; id++) {
            const failed = id % 100 === 0 && id <= 1000;
            await tx.recordExecution(
              execution(id % 2 === 0 ? '001' : '002', id, failed ? { status: 'failed', exitCode: 1 } : {}),
            );
          }
        });
        const failed = await allPages(s, { status: 'failed', limit: 3 });
        assert.deepEqual(
          ids(failed),
          [1000, 900, 800, 700, 600, 500, 400, 300, 200, 100].map((id) => `001/${id}`),
        );
        const all = await allPages(s, { limit: 1000 });
        assert.equal(all.length, 2500);
        assert.equal(new Set(ids(all)).size, 2500);
        assert.equal(all[0]?.id, 2500);
        assert.equal(all.at(-1)?.id, 1);
        const agent2 = await allPages(s, { agentId: '002', limit: 400 });
        assert.equal(agent2.length, 1250);
        assert.ok(agent2.every((e) => e.agentId === '002'));
        const range = await allPages(s, { since: 1_000_000 + 10, until: 1_000_000 + 19, limit: 4 });
        assert.deepEqual(
          range.map((e) => e.id),
          [19, 18, 17, 16, 15, 14, 13, 12, 11, 10],
        );
        assert.deepEqual(ids((await s.queryExecutions({ key: 'firewall-drop-10.0.0.7', limit: 10 })).items), [
          '002/7',
        ]);
        assert.deepEqual(ids((await s.queryExecutions({ alertId: 'alert-3', limit: 10 })).items), ['002/3']);
        const last = await s.queryExecutions({ agentId: '002', status: 'ok', limit: 1250 });
        assert.equal(last.items.length, 1250);
        assert.equal(last.nextCursor, undefined, 'an exactly full last page has no cursor');
      });
    });

    void test("failures over the whole history: newest first, and each agent's last one", async () => {
      await withStore(make, async (s) => {
        // 3,000 executions; the only failures are among the OLDEST (beyond any "newest 1,000" window).
        const failures: Record<number, FleetExecution['status']> = {
          5: 'failed',
          7: 'spawn-error',
          10: 'timed-out',
          12: 'failed',
        };
        await s.batch(async (tx) => {
          for (let id = 1; id <= 3000; id++) {
            const status = failures[id];
            const agent = id % 3 === 0 ? '003' : id % 2 === 0 ? '001' : '002';
            await tx.recordExecution(execution(agent, id, status === undefined ? {} : { status }));
          }
        });
        assert.deepEqual(ids(await s.recentFailures(20)), ['003/12', '001/10', '002/7', '002/5']);
        assert.deepEqual(ids(await s.recentFailures(2)), ['003/12', '001/10']);
        assert.deepEqual(ids(await s.lastFailurePerAgent()), ['001/10', '002/7', '003/12']);
      });
    });

    void test('executionsAfter: numbered in insertion order, above a number or among those asked again', async () => {
      await withStore(make, async (s) => {
        assert.equal(await s.lastExecutionNumber(), 0);
        assert.deepEqual(await s.executionsAfter(0, [], 10), []);
        for (const id of [1, 2, 3, 4]) {
          await s.recordExecution(execution(id % 2 === 0 ? '001' : '002', id));
        }
        const all = await s.executionsAfter(0, [], 10);
        assert.deepEqual(
          all.map((r) => `${r.execution.agentId}/${r.execution.id}`),
          ['002/1', '001/2', '002/3', '001/4'],
        );
        const ns = all.map((r) => r.n);
        assert.deepEqual(
          ns,
          [...ns].sort((a, b) => a - b),
          'ascending',
        );
        assert.equal(await s.lastExecutionNumber(), ns[3]);
        const [n1 = 0, n2 = 0, n3 = 0] = ns;
        assert.deepEqual(
          (await s.executionsAfter(n3, [n1], 10)).map((r) => r.execution.id),
          [1, 4],
          'a number asked again, then those above',
        );
        assert.deepEqual(
          (await s.executionsAfter(n1, [], 2)).map((r) => r.n),
          [n2, n3],
          'at most limit, lowest first',
        );
        assert.equal(
          (await s.executionsAfter(n1, [], 1))[0]?.execution.receivedAt,
          all[1]?.execution.receivedAt,
          'the execution as listExecutions gives it',
        );
      });
    });

    void test('command matches the AR name or the program basename, literally and case-sensitively', async () => {
      await withStore(make, async (s) => {
        await s.recordExecution(execution('001', 1));
        await s.recordExecution(
          execution('001', 2, { arName: 'host-deny', program: 'active-response/bin/host-deny' }),
        );
        await s.recordExecution(execution('001', 3, { arName: '!my_script', program: '/opt/x/my_script' }));
        const cmd = async (command: string): Promise<number[]> =>
          (await s.queryExecutions({ command, limit: 10 })).items.map((e) => e.id);
        assert.deepEqual(await cmd('firewall-drop600'), [1]);
        assert.deepEqual(await cmd('firewall-drop'), [1]);
        assert.deepEqual(await cmd('host-deny'), [2]);
        assert.deepEqual(await cmd('my_script'), [3]);
        assert.deepEqual(await cmd('my%'), [], '% is not a wildcard');
        assert.deepEqual(await cmd('my_scrip_'), [], '_ is not a wildcard');
        assert.deepEqual(await cmd('drop'), []);
        assert.deepEqual(await cmd('FIREWALL-DROP'), [], 'case-sensitive, as the names and files are');
        assert.deepEqual(await cmd('Host-Deny'), []);
      });
    });

    void test('per-minute counts by outcome over [since, until), by the time the manager received them', async () => {
      await withStore(make, async (s) => {
        const m = 60_000;
        const base = 1_700_000_000_000 - (1_700_000_000_000 % m);
        const rows: [number, number, FleetExecution['status']][] = [
          [1, base - 1, 'ok'], // before the window
          [2, base, 'ok'],
          [3, base + 59_999, 'ok'],
          [4, base + 30_000, 'failed'],
          [5, base + 2 * m, 'timed-out'],
          [6, base + 3 * m, 'ok'], // == until: outside
        ];
        for (const [id, receivedAt, status] of rows) {
          await s.recordExecution(execution('001', id, { receivedAt, status }));
        }
        const counts = await s.countExecutionsPerMinute(base, base + 3 * m);
        const key = (c: { minute: number; status: string }): string => `${c.minute}-${c.status}`;
        assert.deepEqual(
          [...counts].sort((a, b) => (key(a) < key(b) ? -1 : 1)),
          [
            { minute: base, status: 'failed', count: 1 },
            { minute: base, status: 'ok', count: 2 },
            { minute: base + 2 * m, status: 'timed-out', count: 1 },
          ],
        );
      });
    });

    void test('recent alert orders: add orders from alerts only, newest first, at most `limit`', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrder(order({ alertId: 'a1', createdAt: 10 }));
        await s.enqueueOrder(order({ kind: 'revert', source: 'revert', alertId: undefined, createdAt: 20 }));
        await s.enqueueOrder(order({ source: 'api', alertId: undefined, createdAt: 30 }));
        await s.enqueueOrder(order({ agentId: '002', alertId: 'a2', createdAt: 40, payload: 'P2' }));
        await s.enqueueOrder(order({ alertId: 'a3', createdAt: 50, payload: 'P3' }));
        const recent = await s.recentAlertOrders(2);
        assert.deepEqual(recent, [
          { agentId: '001', seq: 4, alertId: 'a3', createdAt: 50, payload: 'P3' },
          { agentId: '002', seq: 1, alertId: 'a2', createdAt: 40, payload: 'P2' },
        ]);
        assert.deepEqual(
          (await s.recentAlertOrders(10)).map((o) => o.alertId),
          ['a3', 'a2', 'a1'],
        );
      });
    });
  });
}
