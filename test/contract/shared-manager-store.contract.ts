/**
 * What several manager nodes on ONE database rely on (docs/scale-out.md), run against both adapters
 * with two store instances opened on the same database (two PostgreSQL pools on one schema, two
 * SQLite connections on one file): each instance is what one node holds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import { addAgent } from './manager-store.fixtures.js';

/** Two fresh store instances on one new, empty database (the suite closes both). */
export type MakeSharedStores = () => Promise<readonly [ManagerStore, ManagerStore]>;

async function withShared(
  make: MakeSharedStores,
  fn: (a: ManagerStore, b: ManagerStore) => Promise<void>,
): Promise<void> {
  const [a, b] = await make();
  try {
    await fn(a, b);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

export function sharedManagerStoreContract(name: string, make: MakeSharedStores): void {
  void describe(`shared manager store contract (${name}): two instances on one database`, () => {
    void test('agents enrolled at the same moment through both instances get distinct ids', async () => {
      await withShared(make, async (a, b) => {
        const per = 12;
        const ids = await Promise.all(
          Array.from({ length: per }, (_, i) => [
            addAgent(a, `a-${i}`, `FA${i}`),
            addAgent(b, `b-${i}`, `FB${i}`),
          ]).flat(),
        );
        assert.equal(new Set(ids).size, ids.length, `distinct ids: ${ids.join(' ')}`);
        for (const id of ids) {
          assert.match(id, /^[0-9]{3,}$/, 'Wazuh-style ids: at least three digits');
        }
        assert.deepEqual(
          (await b.listAgents()).map((x) => x.id),
          [...ids].sort(),
          'both instances see every agent',
        );
        const next = await addAgent(a, 'late', 'FL');
        assert.ok(
          ids.every((id) => Number(id) < Number(next)),
          `a later id is above all: ${next}`,
        );
      });
    });
  });
}
