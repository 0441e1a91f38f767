/**
 * The revert-mark part of the AgentStore contract suite (see agent-store.contract.ts): a manager's
 * revert order that found nothing active is kept as a mark (markRevertOrder), read with the delete
 * executions' order seqs (revertOrderAfter, maxOrderSeq), forgotten with them
 * (forgetOrderSeqsAbove) or all at once (forgetRevertMarks), pruned like the executions.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTO_PRUNE_EVERY } from '../../src/store/store-options.js';
import { sampleStart, withStore, type MakeAgentStore } from './agent-store.fixtures.js';

const K = 'firewall-drop-203.0.113.45';
const OTHER = 'firewall-drop-198.51.100.9';
const AT = 1_763_600_000_000;

/** Defines the revert-mark tests of the suite. */
export function revertMarkContract(make: MakeAgentStore): void {
  void describe('revert marks', () => {
    void test('revertOrderAfter and maxOrderSeq count a mark as a revert execution of its key', () => {
      withStore(make, (s) => {
        assert.equal(s.maxOrderSeq(), 0);
        s.markRevertOrder(K, 9, AT);
        assert.equal(s.revertOrderAfter(K, 5), 9);
        assert.equal(s.revertOrderAfter(K, 9), undefined, 'only above the seq');
        assert.equal(s.revertOrderAfter(OTHER, 5), undefined, 'its own key only');
        assert.equal(s.maxOrderSeq(), 9);
        // With delete executions: the highest of both, whichever holds it.
        s.startExecution(sampleStart({ key: K, action: 'delete', orderSeq: 12 }));
        assert.equal(s.revertOrderAfter(K, 5), 12);
        s.markRevertOrder(K, 15, AT);
        assert.equal(s.revertOrderAfter(K, 5), 15);
        assert.equal(s.revertOrderAfter(K, 12), 15);
        assert.equal(s.maxOrderSeq(), 15);
      });
    });

    void test('the same revert order marked again is one mark; an add or an execution of no order marks nothing', () => {
      withStore(make, (s) => {
        s.markRevertOrder(K, 7, AT);
        s.markRevertOrder(K, 7, AT + 1);
        s.startExecution(sampleStart({ key: K, action: 'add', orderSeq: 8 }));
        s.startExecution(sampleStart({ key: K, action: 'delete' }));
        assert.equal(s.revertOrderAfter(K, 6), 7);
        assert.equal(s.revertOrderAfter(K, 7), undefined);
        assert.equal(s.forgetOrderSeqsAbove(6), 1, 'the one execution with a seq above 6, the add');
        assert.equal(s.revertOrderAfter(K, 6), undefined, 'the mark above 6 gone with them');
      });
    });

    void test("afterId leaves out executions only: the marks are this enrollment's (forgetRevertMarks at a re-enrollment)", () => {
      withStore(make, (s) => {
        const old = s.startExecution(sampleStart({ key: K, action: 'delete', orderSeq: 20 }));
        s.markRevertOrder(K, 9, AT);
        assert.equal(s.revertOrderAfter(K, 5, old), 9);
        assert.equal(s.maxOrderSeq(old), 9);
        s.forgetRevertMarks();
        assert.equal(s.revertOrderAfter(K, 5, old), undefined);
        assert.equal(s.maxOrderSeq(old), 0);
        assert.equal(s.revertOrderAfter(K, 5), 20, 'the executions stay');
      });
    });

    void test('forgetOrderSeqsAbove takes the marks above the seq with the executions', () => {
      withStore(make, (s) => {
        s.markRevertOrder(K, 3, AT);
        s.markRevertOrder(K, 8, AT);
        s.markRevertOrder(OTHER, 9, AT);
        s.startExecution(sampleStart({ key: K, action: 'delete', orderSeq: 7 }));
        assert.equal(s.forgetOrderSeqsAbove(5), 1, 'executions counted');
        assert.equal(s.revertOrderAfter(K, 1), 3);
        assert.equal(s.revertOrderAfter(OTHER, 1), undefined);
        assert.equal(s.maxOrderSeq(), 3);
      });
    });

    void test('marks are pruned like the executions: about the newest executionRetention', () => {
      const retention = 10;
      withStore(
        make,
        (s) => {
          const n = 2 * AUTO_PRUNE_EVERY;
          for (let seq = 1; seq <= n; seq++) {
            s.markRevertOrder(`k${seq}`, seq, AT);
          }
          assert.equal(s.revertOrderAfter(`k${n}`, 0), n, 'the newest kept');
          assert.equal(s.revertOrderAfter(`k${n - retention + 1}`, 0), n - retention + 1);
          assert.equal(s.revertOrderAfter(`k${n - retention}`, 0), undefined, 'older ones pruned');
          assert.equal(s.revertOrderAfter('k1', 0), undefined);
          assert.equal(s.maxOrderSeq(), n);
        },
        { executionRetention: retention },
      );
    });
  });
}
