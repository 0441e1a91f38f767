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

/**
 * `batchesAcrossInstances`: two instances may hold open batches at the same time (PostgreSQL: two
 * pools). Two SQLite connections in one process cannot: a batch holds the file's write lock across
 * awaits, and the other connection's BEGIN IMMEDIATE blocks the thread until busy_timeout (one
 * SQLite file serves one node, so enrollments never race across instances there).
 */
export function sharedManagerStoreContract(
  name: string,
  make: MakeSharedStores,
  { batchesAcrossInstances }: { readonly batchesAcrossInstances: boolean },
): void {
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

    // Registered only where two instances hold batches at once (see batchesAcrossInstances).
    const raceTest = batchesAcrossInstances ? test : (): void => undefined;
    void raceTest(
      'one name enrolled at the same moment through both instances: one insert, the other sees it',
      async () => {
        await withShared(make, async (a, b) => {
          // As enrollment does: in one batch, the name check (which holds the name) then the insert.
          const enrollAs = (s: ManagerStore, name: string, fingerprint: string): Promise<string> =>
            s.batch(async (tx) => {
              const dup = await tx.activeAgentNamed(name);
              if (dup !== undefined) {
                throw new Error(`duplicate of ${dup.id}`);
              }
              return addAgent(tx, name, fingerprint);
            });
          for (let round = 0; round < 4; round++) {
            const out = await Promise.allSettled([
              enrollAs(a, `web-${round}`, `FA${round}`),
              enrollAs(b, `WEB-${round}`, `FB${round}`),
            ]);
            const ok = out.filter((r) => r.status === 'fulfilled');
            assert.equal(ok.length, 1, `round ${round}: exactly one enrolled: ${JSON.stringify(out)}`);
            const refused = out.find((r) => r.status === 'rejected');
            assert.match(String((refused as PromiseRejectedResult).reason), /duplicate of/);
          }
          const names = (await a.listAgents()).map((x) => x.name.toLowerCase());
          assert.deepEqual(names.sort(), ['web-0', 'web-1', 'web-2', 'web-3']);
        });
      },
    );
  });
}
