/**
 * `PRAGMA quick_check` of a store run ahead, on a worker thread, while the daemon's main thread is
 * still loading its modules (issue #12: start-up). The guarantee is unchanged: the store is opened
 * (openCheckedDatabase) only once this check has come back, and only a PASSED check is taken in
 * place of the opening's own; anything else (problems found, not a database, the worker failed, not
 * a regular file) makes the opening run its own check as before, so a refusal says exactly what it
 * said before and nothing is read from, written to or acted on from a store that has not passed.
 *
 * Valid only while nothing else writes the file between this check and the opening: the daemons
 * start it holding the home's lock (run-daemon.ts), and the opening follows it directly.
 */
import { lstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Starts the check of `file`. Resolves true when quick_check passed, false otherwise (never
 * rejects). A missing or empty file, or one that is not a regular file (a link, a FIFO), is not
 * checked ahead: the opening handles those cases.
 */
export function quickCheckAhead(file: string): Promise<boolean> {
  const stat = lstatSync(file, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isFile() || stat.size === 0) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./quick-check-worker.js', import.meta.url), { workerData: { file } });
    } catch {
      resolve(false);
      return;
    }
    worker.once('message', (passed: unknown) => {
      resolve(passed === true);
    });
    worker.once('error', () => {
      resolve(false);
    });
    worker.once('exit', () => {
      resolve(false); // no effect once the message has resolved it
    });
  });
}
