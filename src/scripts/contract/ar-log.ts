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
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ScriptHost } from '../../protocol/script-io.js';

/** Path of the log relative to the install dir. */
export const AR_LOG_RELATIVE_PATH = 'logs/active-responses.log';

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `YYYY/MM/DD HH:MM:SS` in the local time zone of `now`. */
export function formatArLogTime(now: Date): string {
  const date = `${now.getFullYear()}/${pad2(now.getMonth() + 1)}/${pad2(now.getDate())}`;
  return `${date} ${pad2(now.getHours())}:${pad2(now.getMinutes())}:${pad2(now.getSeconds())}`;
}

/** One complete log line, newline included. */
export function formatArLogLine(now: Date, argv0: string, msg: string): string {
  return `${formatArLogTime(now)} ${argv0}: ${msg}\n`;
}

/**
 * Appends one line for `host` synchronously (so lines from one run keep their order even when the
 * process exits right after). Creates `logs/` when missing; any failure is swallowed.
 */
export function appendArLog(host: ScriptHost, msg: string): void {
  try {
    const dir = join(host.home, 'logs');
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    appendFileSync(join(host.home, AR_LOG_RELATIVE_PATH), formatArLogLine(host.now(), host.argv0, msg));
  } catch {
    // Wazuh ignores log open/write failures; so do we (see module header).
  }
}
