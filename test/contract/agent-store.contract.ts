/**
 * The AgentStore conformance suite (BullMQ adapter-conformance style): every implementation must
 * pass it unchanged. Run it from a `*.test.ts` file with a factory that returns a fresh, empty store.
 * The factory must honour `opts.executionRetention` (automatic pruning is part of the contract).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  assertRiposteError,
  fullActive,
  sampleActive,
  withStore,
  type MakeAgentStore,
} from './agent-store.fixtures.js';
export type { MakeAgentStore } from './agent-store.fixtures.js';
import { executionContract } from './agent-store-executions.contract.js';
import { revertMarkContract } from './agent-store-revert-marks.contract.js';
import { deleteLineOf, reportedActive } from '../../src/protocol/link-records.js';

/** UTF-8 byte order = SQLite BINARY collation; independent of the implementations' own comparators. */
function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Texts for the delete-message rule (deleteLineOf): the pair once, twice, overlapping on a quote,
 * absent; multi-byte and NUL characters before it (SQLite counts bytes, JS counts UTF-16 units).
 */
const messageText = fc
  .array(fc.constantFrom('"command":"add"', '"command":"delete"', 'é', '😀', '\u0000', '"', 'x', '{'), {
    maxLength: 8,
  })
  .map((parts) => parts.join(''));

function activeContract(make: MakeAgentStore): void {
  void describe('active responses', () => {
    void test('round-trips a record with optional fields absent (read back as undefined)', () => {
      withStore(make, (s) => {
        const a = sampleActive();
        s.putActive(a);
        assert.deepStrictEqual(s.getActive(a.key), a);
      });
    });

    void test('round-trips a record with every optional field present', () => {
      withStore(make, (s) => {
        const a = fullActive();
        s.putActive(a);
        assert.deepStrictEqual(s.getActive(a.key), a);
      });
    });

    void test('keeps hostile and non-ASCII text verbatim', () => {
      withStore(make, (s) => {
        const key = `x'; DROP TABLE active_responses; -- "é😀\\n`;
        const a = fullActive({ key, user: 'ü\u0000ser', deleteMessage: '{"a":"\\u0000\'"}' });
        s.putActive(a);
        assert.deepStrictEqual(s.getActive(key), a);
        assert.equal(s.countActive(), 1);
      });
    });

    void test('getActive of an unknown key is undefined', () => {
      withStore(make, (s) => {
        s.putActive(sampleActive({ key: 'a' }));
        assert.equal(s.getActive('b'), undefined);
      });
    });

    void test('getActives reads the active ones of the keys, complete, in one call', () => {
      withStore(make, (s) => {
        const a = fullActive({ key: 'a' });
        const b = sampleActive({ key: `b'"é` });
        s.putActive(a);
        s.putActive(b);
        s.putActive(sampleActive({ key: 'c' }));
        const got = s.getActives(['missing', b.key, 'a']).sort((x, y) => (x.key < y.key ? -1 : 1));
        assert.deepStrictEqual(got, [a, b]);
        assert.deepStrictEqual(s.getActives([]), []);
        assert.deepStrictEqual(s.getActives(['a', 'a']), [a], 'a repeated key gives its response once');
      });
    });

    void test('getReportedActives leaves out exactly the delete messages deleteLineOf rebuilds (as reportedActive)', () => {
      fc.assert(
        fc.property(messageText, fc.boolean(), messageText, (add, derived, other) => {
          withStore(make, (s) => {
            const deleteMessage = derived ? (deleteLineOf(add) ?? other) : other;
            const a = fullActive({ key: 'k', addMessage: add, deleteMessage });
            s.putActive(a);
            assert.deepStrictEqual(s.getReportedActives(['k', 'missing']), [reportedActive(a)]);
          });
        }),
        { numRuns: 150 },
      );
      withStore(make, (s) => {
        const a = sampleActive({ key: 'a' });
        const b = fullActive({ key: 'b', deleteMessage: 'kept' });
        s.putActives([a, b]);
        const got = s.getReportedActives(['b', 'a']).sort((x, y) => (x.key < y.key ? -1 : 1));
        assert.deepStrictEqual(got, [{ ...a, deleteMessage: undefined }, b]);
        assert.deepStrictEqual(s.getReportedActives([]), []);
      });
    });

    void test('every delete message reads back as written: the derived line, any other text, the empty text', () => {
      // The SQLite store keeps a delete message that deleteLineOf rebuilds as NULL (migration 3):
      // whatever it stores, getActive, getActives and listActive must give back the record put.
      fc.assert(
        fc.property(messageText, fc.boolean(), messageText, (add, derived, other) => {
          withStore(make, (s) => {
            const deleteMessage = derived ? (deleteLineOf(add) ?? other) : other;
            const one = fullActive({ key: 'one', addMessage: add, deleteMessage });
            const bulk = sampleActive({ key: 'bulk', addMessage: add, deleteMessage });
            s.putActive(one);
            s.putActives([bulk]);
            assert.deepStrictEqual(s.getActive('one'), one);
            assert.deepStrictEqual(s.getActives(['bulk']), [bulk]);
            assert.deepStrictEqual(
              s.listActive().map((a) => a.deleteMessage),
              [deleteMessage, deleteMessage],
            );
          });
        }),
        { numRuns: 100 },
      );
    });

    void test('putActive replaces the record with the same key', () => {
      withStore(make, (s) => {
        s.putActive(fullActive({ key: 'k', repeatCount: 1 }));
        const second = sampleActive({ key: 'k', repeatCount: 2, expiresAt: 42 });
        s.putActive(second);
        assert.deepStrictEqual(s.getActive('k'), second);
        assert.equal(s.countActive(), 1);
      });
    });

    void test('putActives writes each record as the same putActive calls would (the later of one key wins)', () => {
      // 64 rows per statement in SQLite: 150 crosses two full statements and a remainder.
      const actives = Array.from({ length: 150 }, (_, i) =>
        i % 2 === 0 ? fullActive({ key: `k${i}`, expiresAt: i }) : sampleActive({ key: `k${i}` }),
      );
      const replaced = sampleActive({ key: 'k3', repeatCount: 7, expiresAt: 99 });
      const repeated = fullActive({ key: 'k140', repeatCount: 9 });
      const writes = [
        fullActive({ key: 'k3' }),
        ...actives.slice(0, 100),
        replaced,
        ...actives.slice(100),
        repeated,
      ];
      withStore(make, (bulk) => {
        withStore(make, (one) => {
          one.putActive(sampleActive({ key: 'k5', repeatCount: 3 }));
          bulk.putActive(sampleActive({ key: 'k5', repeatCount: 3 }));
          writes.forEach((a) => {
            one.putActive(a);
          });
          bulk.putActives(writes);
          assert.equal(bulk.countActive(), 150);
          assert.deepStrictEqual(bulk.listActive(), one.listActive());
          assert.deepStrictEqual(bulk.getActive('k3'), replaced);
          assert.deepStrictEqual(bulk.getActive('k140'), repeated);
          bulk.putActives([]);
          assert.equal(bulk.countActive(), 150);
        });
      });
    });

    void test('removeActive returns the removed record, then it is gone', () => {
      withStore(make, (s) => {
        const a = fullActive({ key: 'k' });
        s.putActive(a);
        s.putActive(sampleActive({ key: 'other' }));
        assert.deepStrictEqual(s.removeActive('k'), a);
        assert.equal(s.getActive('k'), undefined);
        assert.equal(s.removeActive('k'), undefined);
        assert.equal(s.countActive(), 1);
      });
    });

    void test('deleteActive removes without reading back: true once, then false', () => {
      withStore(make, (s) => {
        s.putActive(fullActive({ key: 'k' }));
        const other = sampleActive({ key: 'other' });
        s.putActive(other);
        assert.equal(s.deleteActive('k'), true);
        assert.equal(s.getActive('k'), undefined);
        assert.equal(s.deleteActive('k'), false);
        assert.equal(s.deleteActive('absent'), false);
        assert.deepStrictEqual(s.listActive(), [other]);
      });
    });

    void test('listActive orders by expiresAt, then key', () => {
      withStore(make, (s) => {
        const rows = [
          sampleActive({ key: 'c', expiresAt: 2 }),
          sampleActive({ key: 'b', expiresAt: 1 }),
          sampleActive({ key: 'a', expiresAt: 2 }),
          sampleActive({ key: 'd', expiresAt: -5 }),
        ];
        rows.forEach((r) => {
          s.putActive(r);
        });
        assert.deepStrictEqual(
          s.listActive().map((r) => r.key),
          ['d', 'b', 'a', 'c'],
        );
        assert.equal(s.countActive(), 4);
      });
    });

    void test('listActive returns complete records, optional fields present or absent', () => {
      withStore(make, (s) => {
        const a = fullActive({ key: 'a', expiresAt: 1, timeoutSec: 60, repeatCount: 3 });
        const b = sampleActive({ key: 'b', expiresAt: 2 });
        s.putActive(b);
        s.putActive(a);
        assert.deepStrictEqual(s.listActive(), [a, b]);
      });
    });

    void test('returned records are copies: mutating one does not change the store', () => {
      withStore(make, (s) => {
        s.putActive(sampleActive({ key: 'k', repeatCount: 1 }));
        const got = s.getActive('k') as { repeatCount: number } | undefined;
        assert.ok(got);
        got.repeatCount = 99;
        (s.listActive()[0] as { repeatCount: number }).repeatCount = 98;
        assert.equal(s.getActive('k')?.repeatCount, 1);
      });
    });

    void test('listActive matches a model under random puts and removes (keys in code-point order)', () => {
      const op = fc.record({
        remove: fc.boolean(),
        key: fc.string({ unit: 'grapheme', maxLength: 6 }),
        expiresAt: fc.integer({ min: 0, max: 5 }),
      });
      fc.assert(
        fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
          withStore(make, (s) => {
            const model = new Map<string, number>();
            for (const o of ops) {
              if (o.remove) {
                assert.equal(s.removeActive(o.key)?.key, model.has(o.key) ? o.key : undefined);
                model.delete(o.key);
              } else {
                s.putActive(sampleActive({ key: o.key, expiresAt: o.expiresAt }));
                model.set(o.key, o.expiresAt);
              }
            }
            const expected = [...model.entries()]
              .sort(([ka, ea], [kb, eb]) => ea - eb || utf8Compare(ka, kb))
              .map(([k]) => k);
            assert.deepStrictEqual(
              s.listActive().map((r) => r.key),
              expected,
            );
            assert.equal(s.countActive(), model.size);
          });
        }),
        { numRuns: 60 },
      );
    });
  });
}

function offenderContract(make: MakeAgentStore): void {
  void describe('repeated offenders', () => {
    void test('an unseen key counts 0', () => {
      withStore(make, (s) => {
        assert.equal(s.getOffenderCount('firewall-drop-192.0.2.1'), 0);
      });
    });

    void test('setOffenderCount stores and overwrites per key', () => {
      withStore(make, (s) => {
        s.setOffenderCount('a', 1);
        s.setOffenderCount('b', 7);
        s.setOffenderCount('a', 3);
        assert.equal(s.getOffenderCount('a'), 3);
        assert.equal(s.getOffenderCount('b'), 7);
      });
    });

    void test('countOffence counts one more and returns the count before it', () => {
      withStore(make, (s) => {
        assert.equal(s.countOffence('a'), 0);
        assert.equal(s.countOffence('a'), 1);
        s.setOffenderCount('b', 4);
        assert.equal(s.countOffence('b'), 4);
        assert.equal(s.getOffenderCount('a'), 2);
        assert.equal(s.getOffenderCount('b'), 5);
      });
    });

    void test('counters are independent of active responses (they never expire)', () => {
      withStore(make, (s) => {
        s.putActive(sampleActive({ key: 'k' }));
        s.setOffenderCount('k', 2);
        s.removeActive('k');
        assert.equal(s.getOffenderCount('k'), 2);
      });
    });

    void test('rejects a negative or fractional count with REQUEST_INVALID', () => {
      withStore(make, (s) => {
        assertRiposteError(() => {
          s.setOffenderCount('k', -1);
        }, 'REQUEST_INVALID');
        assertRiposteError(() => {
          s.setOffenderCount('k', 1.5);
        }, 'REQUEST_INVALID');
        assert.equal(s.getOffenderCount('k'), 0);
      });
    });
  });
}

function settingsContract(make: MakeAgentStore): void {
  void describe('settings', () => {
    void test('an unset setting is undefined; set then get; overwrite; empty string kept', () => {
      withStore(make, (s) => {
        assert.equal(s.getSetting('boot-id'), undefined);
        s.setSetting('boot-id', 'one');
        s.setSetting('alerts-offset', '{"dev":1,"ino":2,"offset":3}');
        s.setSetting('boot-id', '');
        assert.equal(s.getSetting('boot-id'), '');
        assert.equal(s.getSetting('alerts-offset'), '{"dev":1,"ino":2,"offset":3}');
      });
    });
  });
}

function lifecycleContract(make: MakeAgentStore): void {
  void describe('lifecycle', () => {
    void test('a new store is empty', () => {
      withStore(make, (s) => {
        assert.deepStrictEqual(s.listActive(), []);
        assert.equal(s.countActive(), 0);
        assert.deepStrictEqual(s.listExecutions(), []);
      });
    });

    void test('close() is idempotent and later calls throw', () => {
      const s = make();
      s.setSetting('a', 'b');
      s.close();
      s.close();
      assert.throws(() => s.getSetting('a'));
      assert.throws(() => {
        s.putActive(sampleActive());
      });
    });

    void test('rejects a bad executionRetention with CONFIG_INVALID', () => {
      assertRiposteError(() => make({ executionRetention: -1 }), 'CONFIG_INVALID');
    });
  });
}

/** Defines the whole AgentStore suite for one implementation. */
export function agentStoreContract(name: string, make: MakeAgentStore): void {
  void describe(`AgentStore contract: ${name}`, () => {
    activeContract(make);
    offenderContract(make);
    executionContract(make);
    revertMarkContract(make);
    settingsContract(make);
    lifecycleContract(make);
  });
}
