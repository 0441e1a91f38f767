/** The ManagerConsoleStore contract suite on the SQLite manager store (a file per case). */
import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import { managerConsoleStoreContract } from './manager-console-store.contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-mcstore-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});
let seq = 0;

managerConsoleStoreContract('sqlite', async () => {
  seq += 1;
  return openSqliteManagerStore(path.join(root, `manager-${seq}.db`));
});
