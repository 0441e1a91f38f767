/**
 * One running daemon per home: `riposte start`, `agent` and `manager` take `<home>/var/riposte.lock`
 * before they touch anything else in the home (store, API socket, execq), and keep it until they
 * exit. A second daemon on the same home fails with HOME_IN_USE naming the holder's pid, and leaves
 * the first one's socket and files alone.
 *
 * The lock file holds `{pid, startTime, bootId, command}` and is created atomically with its content
 * (written to a private temp file, then hard-linked into place: link(2) fails if the lock exists).
 * A lock is stale, and is taken over, when its holder is gone: no such pid, or the pid now belongs
 * to another process (its start time in /proc differs), or the machine rebooted since (boot id
 * differs). Taking over is itself serialised by `riposte.lock.takeover` (exclusive create), so two
 * daemons racing for one stale lock cannot both win; a takeover file older than 10 s is from a
 * daemon that died while taking over, and is ignored.
 */
import {
  linkSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BOOT_ID_FILE, readBootId } from '../../agent/boot-id.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';

/** What a lock file records about its holder. */
export interface LockHolder {
  readonly pid: number;
  /** Start time of the process (clock ticks after boot, /proc/<pid>/stat field 22); undefined off Linux. */
  readonly startTime: number | undefined;
  readonly bootId: string | undefined;
  /** "start", "agent" or "manager". */
  readonly command: string;
}

export interface HomeLock {
  readonly file: string;
  /** Removes the lock file (only when it is still ours). */
  release(): void;
}

/** How the lock decides whether a holder still runs (tests replace it). */
export interface ProcessProbe {
  alive(pid: number): boolean;
  startTime(pid: number): number | undefined;
  bootId(): string | undefined;
}

const TAKEOVER_STALE_MS = 10_000;

export const lockFile = (home: string): string => join(home, 'var', 'riposte.lock');

/** Start time of `pid` from /proc (field 22 of /proc/<pid>/stat), undefined when unreadable. */
function procStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isSafeInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export const systemProbe: ProcessProbe = {
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  startTime: procStartTime,
  bootId: () => readBootId(DEFAULT_BOOT_ID_FILE),
};

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<Record<keyof LockHolder, unknown>>;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) {
      return undefined;
    }
    return {
      pid: v.pid,
      startTime: typeof v.startTime === 'number' ? v.startTime : undefined,
      bootId: typeof v.bootId === 'string' ? v.bootId : undefined,
      command: typeof v.command === 'string' ? v.command : 'riposte',
    };
  } catch {
    return undefined;
  }
}

/** True when `holder` is a live process: same pid, same start time, same boot. */
export function holderRuns(holder: LockHolder, probe: ProcessProbe): boolean {
  const boot = probe.bootId();
  if (holder.bootId !== undefined && boot !== undefined && holder.bootId !== boot) {
    return false;
  }
  if (!probe.alive(holder.pid)) {
    return false;
  }
  const started = probe.startTime(holder.pid);
  return holder.startTime === undefined || started === undefined || started === holder.startTime;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
}

/** Creates `file` holding `text`, atomically; false when it already exists. */
function createWith(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Runs `fn` holding the takeover file; false when another daemon is taking over right now. */
function withTakeover(file: string, fn: () => void): boolean {
  const takeover = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(takeover, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw err;
    }
    const age = Date.now() - statSync(takeover).mtimeMs;
    if (age < TAKEOVER_STALE_MS) {
      return false;
    }
    rmSync(takeover, { force: true });
    return withTakeover(file, fn);
  }
  closeSync(fd);
  try {
    fn();
  } finally {
    rmSync(takeover, { force: true });
  }
  return true;
}

function inUse(home: string, holder: LockHolder): RiposteError {
  return new RiposteError(
    ErrorCode.HOME_IN_USE,
    `Home "${home}" is in use by "riposte ${holder.command}" (pid ${holder.pid}); stop it first, or use another --home`,
    { pid: holder.pid },
  );
}

/**
 * Takes the home's lock for `command`. @throws RiposteError HOME_IN_USE (the holder runs)
 */
export function acquireHomeLock(
  home: string,
  command: string,
  probe: ProcessProbe = systemProbe,
  log: (line: string) => void = () => undefined,
): HomeLock {
  const file = lockFile(home);
  mkdirSync(join(home, 'var'), { recursive: true, mode: 0o700 });
  const me: LockHolder = {
    pid: process.pid,
    startTime: probe.startTime(process.pid),
    bootId: probe.bootId(),
    command,
  };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWith(file, text)) {
      return {
        file,
        release: () => {
          release(file, me.pid);
        },
      };
    }
    const seen = readText(file);
    if (seen === undefined) {
      continue; // released between our attempt and the read
    }
    const holder = parseHolder(seen);
    if (holder !== undefined && holderRuns(holder, probe)) {
      throw inUse(home, holder);
    }
    const took = withTakeover(file, () => {
      // Only the lock we judged stale is removed: if it changed meanwhile, look again.
      if (readText(file) === seen) {
        log(
          holder === undefined
            ? `Removing an unreadable lock file ${file}.`
            : `Taking over the stale lock of pid ${holder.pid} ("riposte ${holder.command}", no longer running).`,
        );
        rmSync(file, { force: true });
      }
    });
    if (!took && holder !== undefined) {
      throw inUse(home, holder);
    }
  }
  throw new RiposteError(ErrorCode.HOME_IN_USE, `Home "${home}": cannot take ${file} (it keeps changing)`);
}

function release(file: string, pid: number): void {
  const holder = parseHolder(readText(file) ?? '');
  if (holder?.pid === pid) {
    rmSync(file, { force: true });
  }
}
