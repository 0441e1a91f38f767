/**
 * The SQLite manager store (`<home>/var/manager.db`): the ManagerStore contract suite, plus what
 * only a durable store must do (keep every order across close and reopen).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import { managerStoreContract } from './manager-store.contract.js';
import { sharedManagerStoreContract } from './shared-manager-store.contract.js';
import { apiAccessStoreContract } from './api-access-store.contract.js';
import { openSqliteApiStore } from '../../src/store/sqlite-api-tokens.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-mstore-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});
let seq = 0;
/** A fresh database path in a directory of its own. */
function freshFile(): string {
  seq += 1;
  const dir = path.join(root, `case-${seq}`);
  fs.mkdirSync(dir);
  return path.join(dir, 'manager.db');
}

managerStoreContract('sqlite', async () => openSqliteManagerStore(freshFile()));
sharedManagerStoreContract(
  'sqlite',
  async () => {
    const file = freshFile();
    return [openSqliteManagerStore(file), openSqliteManagerStore(file)] as const;
  },
  { batchesAcrossInstances: false },
);
apiAccessStoreContract('sqlite', () => {
  const file = path.join(path.dirname(freshFile()), 'api.db');
  return Promise.resolve([openSqliteApiStore(file), openSqliteApiStore(file)] as const);
});

void describe('SQLite manager store: durability', () => {
  void test('a reopened file keeps every order, and seqs continue', async () => {
    const file = freshFile();
    const order = {
      agentId: '001',
      kind: 'add',
      source: 'alert',
      arName: 'mark600',
      key: undefined,
      alertId: 'a',
      createdAt: 1,
      expiresAt: 10_000,
    } as const;
    const a = openSqliteManagerStore(file);
    await a.enqueueOrder({ ...order, payload: 'm1' });
    await a.enqueueOrder({ ...order, payload: 'm2' });
    await a.close();
    const b = openSqliteManagerStore(file);
    try {
      assert.deepEqual(
        (await b.queuedOrders('001')).map((o) => o.payload),
        ['m1', 'm2'],
      );
      assert.equal((await b.enqueueOrder({ ...order, payload: 'm3' })).seq, 3);
    } finally {
      await b.close();
    }
  });
});
