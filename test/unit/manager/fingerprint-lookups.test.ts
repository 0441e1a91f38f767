/** The link's certificate look-ups of one event-loop turn in one store read (fingerprint-lookups.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprintLookups } from '../../../src/manager/fingerprint-lookups.js';
import type { AgentRecord } from '../../../src/core/orders/manager-store.js';
import { agentRecord } from '../../contract/manager-store.fixtures.js';

const AGENTS = new Map([
  ['AA', agentRecord('001', { fingerprint: 'AA' })],
  ['BB', agentRecord('002', { fingerprint: 'BB' })],
]);

function fakeStore(): {
  reads: string[][];
  fail: boolean;
  getAgentsByFingerprints(f: readonly string[]): Promise<(AgentRecord | undefined)[]>;
} {
  const store = {
    reads: [] as string[][],
    fail: false,
    getAgentsByFingerprints(fps: readonly string[]): Promise<(AgentRecord | undefined)[]> {
      store.reads.push([...fps]);
      return store.fail
        ? Promise.reject(new Error('store down'))
        : Promise.resolve(fps.map((f) => AGENTS.get(f)));
    },
  };
  return store;
}

test('the look-ups of one turn share one read; each gets its own answer', async () => {
  const store = fakeStore();
  const lookup = fingerprintLookups(store);
  const got = await Promise.all(['BB', 'ZZ', 'AA', 'BB'].map(lookup));
  assert.deepEqual(
    got.map((a) => a?.id),
    ['002', undefined, '001', '002'],
  );
  assert.deepEqual(store.reads, [['BB', 'ZZ', 'AA', 'BB']]);
  // A later turn: a read of its own, made after the call (never an answer kept from before).
  assert.equal((await lookup('AA'))?.id, '001');
  assert.deepEqual(store.reads.at(-1), ['AA']);
  assert.equal(store.reads.length, 2);
});

test('a failed read fails every look-up of its turn, and the next turn reads again', async () => {
  const store = fakeStore();
  const lookup = fingerprintLookups(store);
  store.fail = true;
  const failed = await Promise.allSettled([lookup('AA'), lookup('BB')]);
  assert.deepEqual(
    failed.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  store.fail = false;
  assert.equal((await lookup('BB'))?.id, '002');
  assert.equal(store.reads.length, 2);
});
