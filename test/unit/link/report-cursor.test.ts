/**
 * ReportCursor (src/link/report-cursor.ts) on the shipped SQLite agent store: every ended
 * execution is reported once, oldest first, with its key's active row; running ones wait for
 * execd's notice; the floor never passes one not reported; reset reads again from a floor.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentStore } from '../../../src/core/execd/agent-store.js';
import { ReportCursor } from '../../../src/link/report-cursor.js';
import { tempAgentStore } from '../../support/temp-agent-store.js';
import { sampleActive, sampleEnd, sampleStart } from '../../contract/agent-store.fixtures.js';

/** The store, counting the execution records each read returns (ids of running ones not counted). */
function counting(store: AgentStore): { store: AgentStore; rows: () => number } {
  let rows = 0;
  const counted: AgentStore = Object.create(store) as AgentStore;
  return {
    store: Object.assign(counted, {
      getExecutions: (ids: readonly number[]) => {
        const got = store.getExecutions(ids);
        rows += got.length;
        return got;
      },
      listEndedExecutionsAfter: (afterId: number, limit: number) => {
        const got = store.listEndedExecutionsAfter(afterId, limit);
        rows += got.length;
        return got;
      },
    }),
    rows: () => rows,
  };
}

function start(s: AgentStore, key?: string): number {
  return s.startExecution(sampleStart({ key }));
}

function end(s: AgentStore, id: number, key?: string): void {
  s.endExecution(id, sampleEnd(key === undefined ? {} : { key }));
}

const ids = (items: readonly { record: { id: number } }[]): number[] => items.map((i) => i.record.id);

void describe('ReportCursor', () => {
  void test('reports each ended execution once, oldest first; a running one waits for its notice', () => {
    const s = tempAgentStore();
    const c = new ReportCursor();
    const [a, b, d] = [start(s), start(s), start(s)] as [number, number, number];
    end(s, a);
    end(s, d);
    assert.deepStrictEqual(ids(c.read(s)), [a, d]);
    assert.equal(c.floor, a, 'the floor stops below the running one');
    assert.deepStrictEqual(c.read(s), [], 'nothing again');
    end(s, b);
    assert.deepStrictEqual(c.read(s), [], 'not re-read before execd says it ended');
    c.notify(b);
    const e = start(s);
    end(s, e);
    assert.deepStrictEqual(ids(c.read(s)), [b, e]);
    assert.equal(c.floor, e);
  });

  void test('reads each execution once in a burst: running ones again only when notified', () => {
    const s = tempAgentStore();
    const { store, rows } = counting(s);
    const c = new ReportCursor();
    const batch = Array.from({ length: 50 }, () => start(s));
    assert.deepStrictEqual(c.read(store), []);
    const before = rows();
    c.notify(); // a poll while all still run
    assert.deepStrictEqual(c.read(store), []);
    assert.equal(before, 0, 'running ones are not read in full');
    assert.equal(rows(), 0, 'not by a poll either');
    for (const id of batch.slice(0, 20)) {
      end(s, id);
      c.notify(id);
    }
    c.notify(999_999); // not waiting: no read
    assert.deepStrictEqual(ids(c.read(store)), batch.slice(0, 20));
    assert.equal(rows() - before, 20, 'only the notified ones were read again');
    assert.equal(c.floor, batch[19]);
    for (const id of batch.slice(20)) {
      end(s, id);
    }
    c.notify(); // a poll: every waiting one is read again
    assert.deepStrictEqual(ids(c.read(store)), batch.slice(20));
    assert.equal(c.floor, batch[49]);
    assert.equal(rows(), 50, 'each execution read once');
  });

  void test('a waiting execution pruned meanwhile is dropped: the floor moves on', () => {
    const s = tempAgentStore();
    const c = new ReportCursor();
    const a = start(s);
    const b = start(s);
    end(s, b);
    assert.deepStrictEqual(ids(c.read(s)), [b]);
    assert.equal(c.floor, a - 1);
    s.pruneExecutions(1);
    c.notify();
    assert.deepStrictEqual(c.read(s), []);
    assert.equal(c.floor, b);
  });

  void test("each report carries its key's active row now, null when not active or keyless", () => {
    const s = tempAgentStore();
    const c = new ReportCursor();
    const active = sampleActive({ key: 'k1' });
    s.putActive(active);
    const a = start(s);
    end(s, a, 'k1');
    const b = start(s);
    end(s, b, 'k2');
    const d = start(s);
    end(s, d, 'k1');
    const e = start(s);
    end(s, e);
    const got = c.read(s);
    assert.deepStrictEqual(
      got.map((i) => [i.record.id, i.active]),
      [
        [a, active],
        [b, null],
        [d, active],
        [e, null],
      ],
    );
  });

  void test('reset reads again from the given floor (a new session)', () => {
    const s = tempAgentStore();
    const c = new ReportCursor();
    const all = Array.from({ length: 5 }, () => start(s));
    all.forEach((id) => {
      end(s, id);
    });
    assert.deepStrictEqual(ids(c.read(s)), all);
    c.reset(all[2]!);
    assert.equal(c.floor, all[2]);
    assert.deepStrictEqual(ids(c.read(s)), all.slice(3));
  });

  void test('what leaveOut names is not read after a reset, whatever floor the reset gives', () => {
    const s = tempAgentStore();
    const c = new ReportCursor();
    const all = Array.from({ length: 5 }, () => start(s));
    all.forEach((id) => {
      end(s, id);
    });
    // An earlier enrollment's executions (AppliedOrders.executionsAfter): its new manager holds none.
    c.leaveOut(all[2]!);
    c.leaveOut(all[1]!); // never lowered
    c.reset(0);
    assert.equal(c.floor, all[2]);
    assert.deepStrictEqual(ids(c.read(s)), all.slice(3));
    c.reset(all[3]!);
    assert.deepStrictEqual(ids(c.read(s)), all.slice(4));
  });

  void test('reads past a page: more executions than one statement returns', () => {
    const s = tempAgentStore();
    const c = new ReportCursor();
    const all = s.transaction(() =>
      Array.from({ length: 2_345 }, () => {
        const id = start(s);
        end(s, id);
        return id;
      }),
    );
    assert.deepStrictEqual(ids(c.read(s)), all);
    assert.equal(c.floor, all[all.length - 1]);
  });

  void test('read(max) stops after the page that reaches max; the next read goes on from there', () => {
    const s = tempAgentStore();
    const c = new ReportCursor();
    const all = s.transaction(() =>
      Array.from({ length: 2_500 }, () => {
        const id = start(s);
        end(s, id);
        return id;
      }),
    );
    const first = ids(c.read(s, 1));
    assert.deepStrictEqual(first, all.slice(0, 1_000), 'one page');
    assert.equal(c.floor, all[999]);
    assert.deepStrictEqual(ids(c.read(s, 1_500)), all.slice(1_000, 2_500));
    assert.deepStrictEqual(c.read(s, 1), []);
  });
});
