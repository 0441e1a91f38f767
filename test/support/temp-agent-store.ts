/**
 * The shipped SQLite agent store in a fresh temporary directory: what tests use where they need an
 * AgentStore (there is no in-memory twin to keep in step with it). The directories are removed
 * when the test process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import { openSqliteAgentStore } from '../../src/store/sqlite-agent-store.js';
import type { AgentStoreOptions } from '../../src/store/store-options.js';

const dirs: string[] = [];
let cleanupRegistered = false;

function removeAll(): void {
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens an empty agent store at `<new temp dir>/var/agent.db`. */
export function tempAgentStore(opts?: AgentStoreOptions): AgentStore {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on('exit', removeAll);
  }
  const dir = mkdtempSync(join(tmpdir(), 'riposte-test-store-'));
  dirs.push(dir);
  return openSqliteAgentStore(join(dir, 'var', 'agent.db'), opts);
}
