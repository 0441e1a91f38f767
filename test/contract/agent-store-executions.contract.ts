/** The execution-record part of the AgentStore contract suite (see agent-store.contract.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import { AUTO_PRUNE_EVERY } from '../../src/store/store-options.js';
import {
  assertRiposteError,
  sampleEnd,
  sampleStart,
  withStore,
  type MakeAgentStore,
} from './agent-store.fixtures.js';

/** Starts `n` executions whose startedAt is 0..n-1 and key alternates "k0"/"k1"; returns the ids. */
function startMany(s: AgentStore, n: number): number[] {
  return Array.from({ length: n }, (_, i) =>
    s.startExecution(sampleStart({ key: `k${i % 2}`, startedAt: i })),
  );
}

function lifecycleTests(make: MakeAgentStore): void {
  void test('startExecution assigns increasing ids and records a running execution', () => {
    withStore(make, (s) => {
      const start = sampleStart({ srcip: '192.0.2.1', ruleId: 5712, alertId: 'a1', user: 'u', key: 'k' });
      const a = s.startExecution(start);
      const b = s.startExecution(sampleStart());
      assert.ok(b > a);
      assert.deepStrictEqual(s.getExecution(a), {
        ...start,
        id: a,
        endedAt: undefined,
        exitCode: undefined,
        signal: undefined,
        timedOut: false,
        status: 'running',
        stderrTail: '',
        note: undefined,
      });
      assert.equal(s.getExecution(b)?.key, undefined);
    });
  });

  void test('startExecutions records each start as startExecution would, ids in order', () => {
    withStore(make, (s) => {
      const before = s.startExecution(sampleStart());
      // More than one multi-row statement's worth, and a remainder.
      const starts = Array.from({ length: 133 }, (_, i) =>
        sampleStart({
          key: i % 3 === 0 ? undefined : `k${i}`,
          action: i % 2 === 0 ? 'add' : 'delete',
          srcip: i % 5 === 0 ? undefined : `192.0.2.${i}`,
          user: i === 7 ? "o'brien\u0000é" : undefined,
          ruleId: i,
          startedAt: 1_000 + i,
          ...(i % 4 === 0 ? { orderSeq: i } : {}),
        }),
      );
      const ids = s.startExecutions(starts);
      assert.equal(ids.length, starts.length);
      ids.forEach((id, i) => {
        assert.ok(id > (i === 0 ? before : (ids[i - 1] as number)), 'increasing');
        const start = { ...(starts[i] as (typeof starts)[number]) };
        delete start.orderSeq; // stored, read back by orderExecution (below), not getExecution
        assert.deepStrictEqual(s.getExecution(id), {
          ...start,
          id,
          endedAt: undefined,
          exitCode: undefined,
          signal: undefined,
          timedOut: false,
          status: 'running',
          stderrTail: '',
          note: undefined,
        });
      });
      assert.equal(s.orderExecution(4)?.id, ids[4]);
      assert.deepStrictEqual(s.startExecutions([]), []);
      assert.ok(s.startExecution(sampleStart()) > (ids.at(-1) as number));
    });
  });

  void test('endExecution records the outcome; key and action are updated only when given', () => {
    withStore(make, (s) => {
      const id = s.startExecution(sampleStart({ key: undefined, action: 'add' }));
      const end = sampleEnd({
        key: 'firewall-drop-192.0.2.1',
        action: 'abort',
        note: 'aborted: already active',
      });
      s.endExecution(id, end);
      const got = s.getExecution(id);
      assert.equal(got?.key, 'firewall-drop-192.0.2.1');
      assert.equal(got.action, 'abort');
      assert.equal(got.note, 'aborted: already active');
      assert.equal(got.status, 'ok');
      assert.equal(got.endedAt, end.endedAt);
      const id2 = s.startExecution(sampleStart({ key: 'kept', action: 'delete' }));
      s.endExecution(id2, sampleEnd({ status: 'failed', exitCode: 1, stderrTail: 'boom\n' }));
      assert.equal(s.getExecution(id2)?.key, 'kept');
      assert.equal(s.getExecution(id2)?.action, 'delete');
      assert.equal(s.getExecution(id2)?.stderrTail, 'boom\n');
    });
  });

  void test('endExecution stores signal and timeout outcomes', () => {
    withStore(make, (s) => {
      const id = s.startExecution(sampleStart());
      const end = sampleEnd({ exitCode: undefined, signal: 'SIGKILL', timedOut: true, status: 'timed-out' });
      s.endExecution(id, end);
      const got = s.getExecution(id);
      assert.deepStrictEqual(
        [got?.exitCode, got?.signal, got?.timedOut, got?.status],
        [undefined, 'SIGKILL', true, 'timed-out'],
      );
    });
  });

  void test('endExecutions ends every listed execution alike; key and action are updated only when given', () => {
    withStore(make, (s) => {
      const fields = (id: number): unknown[] => {
        const r = s.getExecution(id);
        return r === undefined
          ? []
          : [r.key, r.action, r.status, r.exitCode, r.stderrTail, r.note, r.endedAt];
      };
      const a = s.startExecution(sampleStart({ key: 'k0', action: 'add' }));
      const b = s.startExecution(sampleStart({ key: 'k1', action: 'delete' }));
      const other = s.startExecution(sampleStart({ key: 'k2', action: 'add' }));
      const end = sampleEnd({ status: 'failed', exitCode: 2, stderrTail: 'no\n', note: 'n' });
      s.endExecutions([a, b], end);
      assert.deepStrictEqual(fields(a), ['k0', 'add', 'failed', 2, 'no\n', 'n', end.endedAt]);
      assert.deepStrictEqual(fields(b), ['k1', 'delete', 'failed', 2, 'no\n', 'n', end.endedAt]);
      assert.equal(s.getExecution(other)?.status, 'running', 'an id not listed is left as it was');
      const other2 = s.startExecution(sampleStart({ key: 'k3', action: 'add' }));
      const given = sampleEnd({ key: 'k-new', action: 'abort' });
      s.endExecutions([other, other2], given);
      assert.deepStrictEqual(fields(other), ['k-new', 'abort', 'ok', 0, '', undefined, given.endedAt]);
      assert.deepStrictEqual(fields(other2), fields(other));
      s.endExecutions([], end);
      s.endExecutions([98765], end);
      assert.equal(s.getExecution(98765), undefined, 'an unknown id is ignored');
    });
  });

  void test('endExecution of an unknown id is ignored; getExecution of it is undefined', () => {
    withStore(make, (s) => {
      s.endExecution(12345, sampleEnd());
      assert.equal(s.getExecution(12345), undefined);
      assert.deepStrictEqual(s.listExecutions(), []);
    });
  });

  void test('failRunningExecutions fails only running ones, with note "interrupted"', () => {
    withStore(make, (s) => {
      const done = s.startExecution(sampleStart());
      s.endExecution(done, sampleEnd());
      const r1 = s.startExecution(sampleStart());
      const r2 = s.startExecution(sampleStart());
      assert.deepStrictEqual(
        s.failRunningExecutions(5_000).map((r) => r.id),
        [r1, r2],
      );
      for (const id of [r1, r2]) {
        const got = s.getExecution(id);
        assert.deepStrictEqual([got?.status, got?.endedAt, got?.note], ['failed', 5_000, 'interrupted']);
      }
      assert.equal(s.getExecution(done)?.status, 'ok');
      assert.deepStrictEqual(s.failRunningExecutions(6_000), []);
    });
  });
}

function listTests(make: MakeAgentStore): void {
  void test('listExecutions: newest first, default limit 100', () => {
    withStore(make, (s) => {
      const ids = startMany(s, 105);
      const got = s.listExecutions().map((r) => r.id);
      assert.deepStrictEqual(got, ids.slice(5).reverse());
    });
  });

  void test('listExecutions: limit, key filter and beforeId paging cover every record once', () => {
    withStore(make, (s) => {
      const ids = startMany(s, 25);
      assert.deepStrictEqual(
        s.listExecutions({ limit: 3 }).map((r) => r.id),
        ids.slice(-3).reverse(),
      );
      assert.deepStrictEqual(s.listExecutions({ limit: 0 }), []);
      const k1 = s.listExecutions({ key: 'k1' });
      assert.deepStrictEqual(
        k1.map((r) => r.id),
        ids.filter((_, i) => i % 2 === 1).reverse(),
      );
      const seen: number[] = [];
      let page = s.listExecutions({ key: 'k0', limit: 4 });
      while (page.length > 0) {
        seen.push(...page.map((r) => r.id));
        page = s.listExecutions({ key: 'k0', limit: 4, beforeId: page[page.length - 1]!.id });
      }
      assert.deepStrictEqual(seen, ids.filter((_, i) => i % 2 === 0).reverse());
    });
  });

  void test("listExecutions: the operator's filters (status, AR name or script, alert, times, key) and paging", () => {
    withStore(make, (s) => {
      const start = (over: Parameters<typeof sampleStart>[0]): number => s.startExecution(sampleStart(over));
      const a = start({ key: 'k', alertId: 'x1', startedAt: 100 });
      const b = start({
        key: 'k',
        arName: 'route-null',
        program: 'active-response/bin/route-null',
        startedAt: 200,
      });
      const c = start({
        key: 'j',
        arName: 'mine',
        program: 'active-response/bin/Firewall-drop',
        startedAt: 300,
      });
      const d = start({ key: 'k', alertId: 'x1', startedAt: 400 });
      s.endExecution(a, sampleEnd());
      s.endExecution(b, sampleEnd({ status: 'failed', exitCode: 1 }));
      s.endExecution(c, sampleEnd({ status: 'failed', exitCode: 1 }));
      const ids = (q: Parameters<AgentStore['listExecutions']>[0]): number[] =>
        s.listExecutions(q).map((r) => r.id);
      assert.deepStrictEqual(ids({ status: 'failed' }), [c, b]);
      assert.deepStrictEqual(ids({ status: 'running' }), [d]);
      assert.deepStrictEqual(ids({ command: 'firewall-drop600' }), [d, a], 'the AR name');
      assert.deepStrictEqual(ids({ command: 'firewall-drop' }), [d, a], 'the script, case and all');
      assert.deepStrictEqual(ids({ command: 'drop' }), [], 'a basename, not a suffix of one');
      assert.deepStrictEqual(ids({ command: 'active-response/bin/route-null' }), [b], 'the program');
      assert.deepStrictEqual(ids({ alertId: 'x1' }), [d, a]);
      assert.deepStrictEqual(ids({ since: 200, until: 300 }), [c, b], 'both ends included');
      assert.deepStrictEqual(ids({ key: 'k', status: 'ok' }), [a]);
      assert.deepStrictEqual(ids({ alertId: 'x1', limit: 1 }), [d]);
      assert.deepStrictEqual(ids({ alertId: 'x1', beforeId: d }), [a]);
      assert.deepStrictEqual(ids({ status: 'timed-out' }), []);
    });
  });

  void test('listExecutions rejects a negative limit with REQUEST_INVALID', () => {
    withStore(make, (s) => {
      assertRiposteError(() => s.listExecutions({ limit: -1 }), 'REQUEST_INVALID');
      assertRiposteError(() => s.listEndedExecutionsAfter(0, -1), 'REQUEST_INVALID');
    });
  });

  void test('listEndedExecutionsAfter: ended ones oldest first above the id, paging covers each once', () => {
    withStore(make, (s) => {
      const ids = startMany(s, 25);
      const ended = ids.filter((_, i) => i % 3 !== 0);
      for (const id of ended) {
        s.endExecution(id, sampleEnd());
      }
      assert.deepStrictEqual(
        s.listEndedExecutionsAfter(0, 100).map((r) => r.id),
        ended,
      );
      const seen: number[] = [];
      let page = s.listEndedExecutionsAfter(ids[2]!, 4);
      while (page.length > 0) {
        seen.push(...page.map((r) => r.id));
        page = s.listEndedExecutionsAfter(page[page.length - 1]!.id, 4);
      }
      assert.deepStrictEqual(
        seen,
        ended.filter((id) => id > ids[2]!),
      );
      assert.deepStrictEqual(s.listEndedExecutionsAfter(ids[24]!, 10), []);
      assert.deepStrictEqual(s.listEndedExecutionsAfter(ids[5]!, 1), [s.getExecution(ids[7]!)]);
    });
  });

  void test('runningExecutionIds: the running ones in (afterId, upToId], ascending', () => {
    withStore(make, (s) => {
      const ids = startMany(s, 10);
      const running = ids.filter((_, i) => i % 3 === 0);
      for (const id of ids.filter((_, i) => i % 3 !== 0)) {
        s.endExecution(id, sampleEnd());
      }
      assert.deepStrictEqual(s.runningExecutionIds(0, Number.MAX_SAFE_INTEGER), running);
      assert.deepStrictEqual(s.runningExecutionIds(ids[0]!, ids[6]!), [ids[3]!, ids[6]!]);
      assert.deepStrictEqual(s.runningExecutionIds(ids[9]!, Number.MAX_SAFE_INTEGER), []);
    });
  });

  void test('getExecutions: the existing ones of the ids, oldest first, as getExecution reads them', () => {
    withStore(make, (s) => {
      const ids = startMany(s, 6);
      s.endExecution(ids[3]!, sampleEnd({ key: 'k9', note: 'done' }));
      const want = [ids[1]!, ids[3]!, ids[5]!];
      assert.deepStrictEqual(
        s.getExecutions([ids[5]!, ids[1]!, 999_999, ids[3]!]),
        want.map((id) => s.getExecution(id)),
      );
      assert.deepStrictEqual(s.getExecutions([]), []);
    });
  });

  void test('maxOrderSeq: the highest order seq recorded, 0 when none', () => {
    withStore(make, (s) => {
      assert.equal(s.maxOrderSeq(), 0);
      s.startExecution(sampleStart());
      assert.equal(s.maxOrderSeq(), 0);
      s.startExecution(sampleStart({ orderSeq: 7 }));
      s.startExecution(sampleStart({ orderSeq: 3 }));
      s.startExecution(sampleStart());
      assert.equal(s.maxOrderSeq(), 7);
    });
  });

  void test('orderSeqsOf: the order seq of each of the ids that has one, in one read', () => {
    withStore(make, (s) => {
      const seven = s.startExecution(sampleStart({ orderSeq: 7 }));
      const local = s.startExecution(sampleStart());
      const three = s.startExecution(sampleStart({ orderSeq: 3 }));
      assert.deepStrictEqual(
        s.orderSeqsOf([three, local, 999_999, seven]),
        new Map([
          [seven, 7],
          [three, 3],
        ]),
      );
      assert.deepStrictEqual(s.orderSeqsOf([]), new Map());
      s.forgetOrderSeqsAbove(5);
      assert.deepStrictEqual(s.orderSeqsOf([seven, three]), new Map([[three, 3]]));
    });
  });

  void test('maxOrderSeq and orderExecution leave out the executions at or below afterId', () => {
    withStore(make, (s) => {
      // An earlier enrollment ran orders 7 and 3; this one its own 3 and 2 (link/applied-orders.ts).
      const old7 = s.startExecution(sampleStart({ orderSeq: 7 }));
      const old3 = s.startExecution(sampleStart({ orderSeq: 3 }));
      assert.equal(s.maxOrderSeq(old3), 0);
      assert.equal(s.orderExecution(3, old3), undefined);
      const new3 = s.startExecution(sampleStart({ orderSeq: 3 }));
      s.startExecution(sampleStart({ orderSeq: 2 }));
      assert.equal(s.maxOrderSeq(old3), 3);
      assert.equal(s.orderExecution(3, old3)?.id, new3);
      assert.equal(s.orderExecution(7, old3), undefined);
      // Without a bound (0): every execution, as before.
      assert.equal(s.maxOrderSeq(), 7);
      assert.equal(s.orderExecution(7)?.id, old7);
      assert.equal(s.orderExecution(3, 0)?.id, new3);
    });
  });

  void test('revertOrderAfter: the highest revert order of a key above a seq, this enrollment only', () => {
    withStore(make, (s) => {
      const K = 'firewall-drop-203.0.113.45';
      const revert = (orderSeq: number, key = K): number =>
        s.startExecution(sampleStart({ key, action: 'delete', orderSeq }));
      const old9 = revert(9); // an earlier enrollment's
      assert.equal(s.revertOrderAfter(K, 5), 9);
      assert.equal(s.revertOrderAfter(K, 5, old9), undefined);
      s.startExecution(sampleStart({ key: K, action: 'add', orderSeq: 8 }));
      s.startExecution(sampleStart({ key: K, action: 'delete' })); // a timeout: no order
      revert(12, 'firewall-drop-198.51.100.9');
      assert.equal(s.revertOrderAfter(K, 5, old9), undefined, 'adds, local reverts, other keys: none');
      revert(7);
      revert(6);
      assert.equal(s.revertOrderAfter(K, 5, old9), 7);
      assert.equal(s.revertOrderAfter(K, 6, old9), 7);
      assert.equal(s.revertOrderAfter(K, 7, old9), undefined, 'only above the seq');
      assert.equal(s.revertOrderAfter(K, 5), 9, 'without a bound: every execution');
    });
  });

  void test('forgetOrderSeqsAbove: executions of seqs above it keep their record, not their seq', () => {
    withStore(make, (s) => {
      const ids = [2, 5, 3, 7].map((orderSeq) => s.startExecution(sampleStart({ orderSeq })));
      s.startExecution(sampleStart());
      assert.equal(s.forgetOrderSeqsAbove(3), 2);
      assert.equal(s.maxOrderSeq(), 3);
      assert.equal(s.orderExecution(5), undefined);
      assert.equal(s.orderExecution(7), undefined);
      assert.equal(s.orderExecution(3)?.id, ids[2]);
      assert.equal(s.getExecution(ids[1]!)?.id, ids[1], 'the run itself is still recorded');
      assert.equal(s.forgetOrderSeqsAbove(3), 0);
    });
  });
}

function pruneTests(make: MakeAgentStore): void {
  void test('pruneExecutions keeps the newest records and returns how many it deleted', () => {
    withStore(make, (s) => {
      const ids = startMany(s, 10);
      assert.equal(s.pruneExecutions(20), 0);
      assert.equal(s.pruneExecutions(4), 6);
      assert.deepStrictEqual(
        s.listExecutions().map((r) => r.id),
        ids.slice(6).reverse(),
      );
      assert.equal(s.getExecution(ids[0]!), undefined);
      assert.equal(s.pruneExecutions(0), 4);
      assert.deepStrictEqual(s.listExecutions(), []);
    });
  });

  void test('ids are never reused after pruning', () => {
    withStore(make, (s) => {
      const ids = startMany(s, 3);
      s.pruneExecutions(0);
      assert.ok(s.startExecution(sampleStart()) > Math.max(...ids));
    });
  });

  void test('pruneExecutions rejects a negative keep with REQUEST_INVALID', () => {
    withStore(make, (s) => {
      startMany(s, 2);
      assertRiposteError(() => s.pruneExecutions(-1), 'REQUEST_INVALID');
      assert.equal(s.listExecutions().length, 2);
    });
  });

  void test(`prunes automatically to executionRetention every ${AUTO_PRUNE_EVERY} inserts`, () => {
    const retention = 10;
    withStore(
      make,
      (s) => {
        const ids = startMany(s, AUTO_PRUNE_EVERY - 1);
        assert.equal(s.listExecutions({ limit: AUTO_PRUNE_EVERY * 2 }).length, AUTO_PRUNE_EVERY - 1);
        ids.push(s.startExecution(sampleStart()));
        const left = s.listExecutions({ limit: AUTO_PRUNE_EVERY * 2 }).map((r) => r.id);
        assert.deepStrictEqual(left, ids.slice(-retention).reverse());
      },
      { executionRetention: retention },
    );
  });

  void test('startExecutions prunes as the same startExecution calls would', () => {
    const retention = 10;
    withStore(
      make,
      (s) => {
        // 990 alone, then 150 at once: the 1,000th id is assigned inside the bulk call.
        const all = startMany(s, AUTO_PRUNE_EVERY - 10);
        const ids = s.startExecutions(Array.from({ length: 150 }, (_, i) => sampleStart({ startedAt: i })));
        all.push(...ids);
        const left = s.listExecutions({ limit: AUTO_PRUNE_EVERY * 2 }).map((r) => r.id);
        const pruneAt = ids.findIndex((id) => id % AUTO_PRUNE_EVERY === 0);
        assert.ok(pruneAt >= 0);
        // Pruned once the 1,000th id was assigned (within a multi-row statement: after it): the
        // newest records are left, at least the retention, at most it plus the rest of the call.
        assert.ok(
          left.length >= retention && left.length <= retention + ids.length - pruneAt,
          `${left.length}`,
        );
        assert.deepStrictEqual(left, all.slice(-left.length).reverse());
      },
      { executionRetention: retention },
    );
  });
}

/** Defines the execution tests of the suite. */
export function executionContract(make: MakeAgentStore): void {
  void describe('executions', () => {
    lifecycleTests(make);
    listTests(make);
    pruneTests(make);
  });
}
