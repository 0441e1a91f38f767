/**
 * createManagerStore picks the adapter by URL: postgres:// opens the PostgreSQL store (on a private
 * server, test/cluster/support/pg-server.ts; fails clearly when it cannot start), a path or
 * sqlite:/file: URL the SQLite file, another scheme is refused with CONFIG_INVALID (password hidden).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createManagerStore, managerStoreTarget } from '../../src/store/create-manager-store.js';
import { startPgServer } from '../cluster/support/pg-server.js';
import { newOrder } from './manager-store.fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-cms-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

test('URLs name the adapter; other schemes are refused without echoing a password', () => {
  assert.deepEqual(managerStoreTarget('postgres://u@127.0.0.1:5/db'), {
    kind: 'postgres',
    url: 'postgres://u@127.0.0.1:5/db',
  });
  assert.equal(managerStoreTarget('postgresql://h/db').kind, 'postgres');
  assert.deepEqual(managerStoreTarget('/var/lib/m.db'), { kind: 'sqlite', file: '/var/lib/m.db' });
  assert.deepEqual(managerStoreTarget('sqlite:///var/lib/m.db'), { kind: 'sqlite', file: '/var/lib/m.db' });
  assert.deepEqual(managerStoreTarget('sqlite:rel/m.db'), { kind: 'sqlite', file: 'rel/m.db' });
  assert.deepEqual(managerStoreTarget('file:///var/lib/m.db'), { kind: 'sqlite', file: '/var/lib/m.db' });
  assert.throws(
    () => managerStoreTarget('mysql://root:secret@h/db'),
    (err: Error & { code?: string }) =>
      err.code === 'CONFIG_INVALID' && !err.message.includes('secret') && err.message.includes('mysql://'),
  );
});

test('a file URL opens a durable SQLite store; a postgres:// URL a PostgreSQL one', async () => {
  const file = path.join(root, 'manager.db');
  const lite = await createManagerStore(pathToFileURL(file).href);
  try {
    assert.equal((await lite.enqueueOrder(newOrder())).seq, 1);
  } finally {
    await lite.close();
  }
  assert.ok(fs.existsSync(file));

  const server = await startPgServer();
  try {
    const store = await createManagerStore(server.url);
    try {
      await store.enqueueOrder(newOrder({ payload: 'pg' }));
      assert.deepEqual(
        (await store.queuedOrders('001')).map((o) => o.payload),
        ['pg'],
      );
    } finally {
      await store.close();
    }
  } finally {
    await server.stop();
  }
});
