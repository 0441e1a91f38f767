/**
 * Child process of bench/store-restart.ts: measures one cold read of the agent store in a fresh
 * process, so the RSS delta is not polluted by the parent's allocations.
 * Usage: node store-restart-worker.js <store|plain> <db-file>; prints one JSON WorkerSample.
 * `plain` is the baseline: better-sqlite3 opened directly and `SELECT *` of the same rows (the one
 * place outside src/store/ that imports the driver, because the baseline must bypass the store).
 */
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openSqliteAgentStore } from '../src/store/sqlite-agent-store.js';

export interface WorkerSample {
  readonly ms: number;
  readonly rssDeltaBytes: number;
  readonly rows: number;
}

function viaStore(file: string): number {
  const store = openSqliteAgentStore(file);
  const rows = store.listActive();
  store.close();
  return rows.length;
}

function plainSelect(file: string): number {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT * FROM active_responses ORDER BY expires_at, key').all();
  db.close();
  return rows.length;
}

function main(): void {
  const [mode, file] = process.argv.slice(2);
  if ((mode !== 'store' && mode !== 'plain') || file === undefined) {
    process.stderr.write('usage: store-restart-worker.js <store|plain> <db-file>\n');
    process.exitCode = 2;
    return;
  }
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const rows = mode === 'store' ? viaStore(file) : plainSelect(file);
  const ms = performance.now() - t0;
  // Measured before the rows become garbage-collectable in practice (no allocation in between).
  const sample: WorkerSample = { ms, rssDeltaBytes: process.memoryUsage().rss - rssBefore, rows };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

main();
