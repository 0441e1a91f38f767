/**
 * The worker of quick-check-ahead.ts: opens `workerData.file`, runs `PRAGMA quick_check` through a
 * memory map (as open-database.ts does: every page read without a copy), closes the connection and
 * posts true when the check passed. Any error posts false: the opening then checks by itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { CHECK_MMAP_BYTES, quickCheckPassed } from './quick-check-rows.js';

function check(file: string): boolean {
  const db = new Database(file, { fileMustExist: true, timeout: 5_000 });
  try {
    db.pragma(`mmap_size = ${CHECK_MMAP_BYTES}`);
    return quickCheckPassed(db.pragma('quick_check'));
  } finally {
    db.close();
  }
}

let passed = false;
try {
  passed = check(String((workerData as { file?: unknown }).file));
} catch {
  passed = false;
}
parentPort?.postMessage(passed);
