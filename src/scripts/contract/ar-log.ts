/**
 * The active-responses log every stock script writes (Wazuh's `write_debug_file`, reference §5).
 *
 * Line format: `YYYY/MM/DD HH:MM:SS <argv0>: <msg>\n`, local time, appended to
 * `<home>/logs/active-responses.log`. The shipped Wazuh decoders (`ar_log_json`) and QA regexes key off
 * this exact shape, so it must not change. Write failures are ignored, as Wazuh does: a full disk must
 * not stop a block from being applied.
 *
 * Echoed stdin lines are logged verbatim as received (no re-serialisation). Wazuh also keeps the line's
 * own trailing newline, which produces an empty line after each echo; Riposte does not reproduce that
 * empty line (it carries no information and the decoders ignore it).
 */
import { closeSync, fstatSync, mkdirSync, statSync, writeSync } from 'node:fs';
import { openAppendNoFollow } from '../../home/no-follow.js';
import { join } from 'node:path';
import type { ScriptHost } from '../../protocol/script-io.js';

/** Path of the log relative to the install dir. */
export const AR_LOG_RELATIVE_PATH = 'logs/active-responses.log';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The last second formatted (a burst logs thousands of lines within one second). */
let lastTime = { second: Number.NaN, text: '' };

/** `YYYY/MM/DD HH:MM:SS` in the local time zone of `now`. */
export function formatArLogTime(now: Date): string {
  const second = Math.floor(now.getTime() / 1000);
  if (second === lastTime.second) {
    return lastTime.text;
  }
  const date = `${now.getFullYear()}/${pad2(now.getMonth() + 1)}/${pad2(now.getDate())}`;
  const text = `${date} ${pad2(now.getHours())}:${pad2(now.getMinutes())}:${pad2(now.getSeconds())}`;
  lastTime = { second, text };
  return text;
}

/** One complete log line, newline included. */
export function formatArLogLine(now: Date, argv0: string, msg: string): string {
  return `${formatArLogTime(now)} ${argv0}: ${msg}\n`;
}

/**
 * Open log files, by path. A burst of in-process runs appends tens of thousands of lines within one
 * event-loop turn; opening the file once per turn instead of once per line makes that several times
 * cheaper. Each write is still a synchronous O_APPEND write (same ordering and durability as
 * Wazuh's fopen/fprintf/fclose). Before each write the path is stat'ed: when the file was removed or
 * replaced (rotation), it is reopened, so no line goes to a stale inode. Descriptors are closed on
 * the next event-loop turn (setImmediate).
 */
const openLogs = new Map<string, { fd: number; ino: number; dev: number }>();

function closeAll(): void {
  for (const { fd } of openLogs.values()) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  openLogs.clear();
}

/** The cached descriptor for `file` when it still designates the file at that path. */
function cachedFd(file: string): number | undefined {
  const entry = openLogs.get(file);
  if (!entry) {
    return undefined;
  }
  const st = statSync(file, { throwIfNoEntry: false });
  if (st?.ino === entry.ino && st.dev === entry.dev) {
    return entry.fd;
  }
  openLogs.delete(file);
  closeSync(entry.fd);
  return undefined;
}

function append(host: ScriptHost, text: string): void {
  const file = join(host.home, AR_LOG_RELATIVE_PATH);
  let fd = cachedFd(file);
  if (fd === undefined) {
    mkdirSync(join(host.home, 'logs'), { recursive: true, mode: 0o750 });
    fd = openAppendNoFollow(file, 0o640); // a link planted in logs/ is refused, not followed
    const st = fstatSync(fd);
    if (openLogs.size === 0) {
      setImmediate(closeAll).unref();
    }
    openLogs.set(file, { fd, ino: st.ino, dev: st.dev });
  }
  writeSync(fd, text);
}

function appendOrIgnore(host: ScriptHost, text: string): void {
  try {
    append(host, text);
  } catch {
    // Wazuh ignores log open/write failures; so do we (see module header).
  }
}

/** Lines held back by {@link inOneArLogWrite}, by home, in order. */
let held: Map<string, { host: ScriptHost; text: string }> | undefined;

/**
 * Runs `fn` (synchronous) and writes the lines it logs when it returns or throws, in order, with
 * one write per log file instead of one per line: what a batch of executions logs in one step
 * costs one syscall. Nested calls join the outer one.
 */
export function inOneArLogWrite<T>(fn: () => T): T {
  if (held !== undefined) {
    return fn();
  }
  held = new Map();
  try {
    return fn();
  } finally {
    const lines = held;
    held = undefined;
    for (const { host, text } of lines.values()) {
      appendOrIgnore(host, text);
    }
  }
}

/**
 * Appends one line for `host` synchronously (so lines from one run keep their order even when the
 * process exits right after; inside {@link inOneArLogWrite}, when it returns). Creates `logs/`
 * when missing; any failure is swallowed.
 */
export function appendArLog(host: ScriptHost, msg: string): void {
  const line = formatArLogLine(host.now(), host.argv0, msg);
  if (held === undefined) {
    appendOrIgnore(host, line);
    return;
  }
  const entry = held.get(host.home);
  if (entry === undefined) {
    held.set(host.home, { host, text: line });
  } else {
    entry.text += line;
  }
}
