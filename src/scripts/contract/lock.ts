/**
 * The lock stock scripts take around shared state (iptables rules, hosts.deny), compatible with
 * Wazuh's `lock()` (reference §5): a directory created with mkdir under the install dir, holding a
 * `pid` file with the holder's pid. A Wazuh script and a Riposte script therefore exclude each other.
 *
 * Differences from Wazuh, on purpose (reference §8.17):
 * - the wait is bounded (default 30 s) instead of ~10-20 minutes;
 * - a lock whose holder pid is dead (or is this very process, which cannot hold it: see below) is
 *   taken over; a live holder is never killed (Wazuh ends with `kill -9` of any `pgrep -f` match);
 * - callers in the same process (the agent running stock scripts in-process) are first serialised by
 *   an in-memory queue per directory, so they do not poll each other's pid file.
 * On failure the caller logs `Unable to take lock. End.` and exits 255.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ScriptFailure } from './stock-script.js';
import { currentToolScope } from './tool-scope.js';

export const LOCK_FAILED_LOG = 'Unable to take lock. End.';

/** Lock directories relative to the install dir, as Wazuh names them. */
export const LockDir = {
  FIREWALL: 'active-response/bin/fw-drop',
  HOST_DENY: 'active-response/bin/host-deny-lock',
} as const;

export interface LockOptions {
  /** Install dir. */
  readonly home: string;
  /** Lock directory relative to `home`, e.g. {@link LockDir.FIREWALL}. */
  readonly dir: string;
  /** Longest total wait for a live holder. @default 30000 (30 s) */
  readonly timeoutMs?: number;
}

/** A pid file that is missing this long after its directory was made is considered abandoned. */
const PIDLESS_STALE_MS = 10_000;
const MAX_POLL_MS = 250;

/** In-process queue per absolute lock path: the tail promise of the current holder chain. */
const localQueues = new Map<string, Promise<void>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the existing lock at `abs` can be taken over (holder dead, or abandoned without pid). */
function isStale(abs: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(abs, 'pid'), 'utf8').trim();
  } catch {
    try {
      return Date.now() - statSync(abs).mtimeMs > PIDLESS_STALE_MS;
    } catch {
      return false; // vanished meanwhile: the next mkdir decides
    }
  }
  const pid = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  // Our own pid cannot be a live holder: in-process callers are serialised before reaching here.
  return !Number.isInteger(pid) || pid === process.pid || !isAlive(pid);
}

/** One attempt: true when the lock is now ours. */
function tryTake(abs: string): boolean {
  try {
    mkdirSync(abs, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw err;
    }
    if (!isStale(abs)) {
      return false;
    }
    // Rename first so that two processes racing for a stale lock cannot both remove a fresh one.
    const aside = `${abs}.stale-${process.pid}-${Date.now()}`;
    try {
      renameSync(abs, aside);
    } catch {
      return false;
    }
    rmSync(aside, { recursive: true, force: true });
    return tryTake(abs);
  }
  writeFileSync(join(abs, 'pid'), `${process.pid}\n`);
  return true;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Polls {@link tryTake} until success, the deadline or the run's abort (tool-scope.ts); true when taken. */
async function takeWithin(abs: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const signal = currentToolScope()?.signal;
  let pollMs = 10;
  for (;;) {
    if (tryTake(abs)) {
      return true;
    }
    if (Date.now() >= deadline || signal?.aborted === true) {
      return false;
    }
    await sleep(Math.min(pollMs, Math.max(1, deadline - Date.now())));
    pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
  }
}

/**
 * Runs `fn` while holding the lock and releases it afterwards (also when `fn` throws).
 * @throws ScriptFailure(LOCK_FAILED_LOG) when the lock cannot be taken within the timeout.
 */
export async function withLock<T>(opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const abs = join(opts.home, opts.dir);
  const previous = localQueues.get(abs) ?? Promise.resolve();
  let releaseLocal = (): void => undefined;
  const mine = new Promise<void>((resolve) => {
    releaseLocal = resolve;
  });
  const tail = previous.then(() => mine);
  localQueues.set(abs, tail);
  try {
    await previous;
    mkdirSync(dirname(abs), { recursive: true, mode: 0o750 });
    if (!(await takeWithin(abs, opts.timeoutMs ?? 30_000))) {
      throw new ScriptFailure(LOCK_FAILED_LOG);
    }
    try {
      return await fn();
    } finally {
      rmSync(abs, { recursive: true, force: true });
    }
  } finally {
    releaseLocal();
    if (localQueues.get(abs) === tail) {
      localQueues.delete(abs);
    }
  }
}
