/**
 * The daemon log's file: an append-only fd opened without following links (issue #13 finding
 * 10), written synchronously, that never throws (issue #13 finding 5: sonic-boom crashed the
 * daemon on ENOSPC). On a failed write the line is dropped and counted, and any part of it that
 * reached the file is cut off again, so the log holds only whole JSON lines; the first line written
 * once space is back says how many lines were dropped and since when. `reopen()` (SIGHUP, after
 * logrotate moved the file) opens the path again.
 */
import { closeSync, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { openAppendNoFollow } from '../home/no-follow.js';
import { isDiskFullError, type StorageHealth } from './storage-health.js';

function errCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** Lines held back by {@link inOneSinkWrite}, per sink, in order. */
let held: Map<FileSink, string> | undefined;

/**
 * Runs `fn` (synchronous) and writes the lines it logs when it returns or throws, with one write
 * per file instead of one per line (a batch of executions logs one line each in one step). Nested
 * calls join the outer one. A line is in the file once `fn` has returned, as before.
 */
export function inOneSinkWrite<T>(fn: () => T): T {
  if (held !== undefined) {
    return fn();
  }
  held = new Map();
  try {
    return fn();
  } finally {
    const lines = held;
    held = undefined;
    for (const [sink, text] of lines) {
      sink.write(text);
    }
  }
}

export class FileSink {
  private fd: number;
  private dropped = 0;
  private droppedSince = 0;
  private dropCode = '';

  constructor(
    readonly path: string,
    private readonly mode: number,
    private readonly health: StorageHealth,
    private readonly now: () => number = Date.now,
  ) {
    this.fd = openAppendNoFollow(path, mode);
  }

  /** pino's destination contract: one serialised line (with its newline) per call. */
  write(line: string): boolean {
    if (held !== undefined) {
      held.set(this, (held.get(this) ?? '') + line);
      return true;
    }
    if (this.dropped > 0) {
      if (!this.append(this.droppedNotice())) {
        this.drop();
        return true;
      }
      this.dropped = 0;
    }
    if (!this.append(line)) {
      this.drop();
    }
    return true;
  }

  /** Opens the path again (after a rotation); keeps the old fd when that fails. */
  reopen(): void {
    const fd = openAppendNoFollow(this.path, this.mode);
    const old = this.fd;
    this.fd = fd;
    closeSync(old);
  }

  get droppedLines(): number {
    return this.dropped;
  }

  private drop(): void {
    if (this.dropped === 0) {
      this.droppedSince = this.now();
    }
    this.dropped += 1;
    this.health.countDroppedLogLine();
  }

  private droppedNotice(): string {
    const notice = {
      level: 40,
      time: new Date(this.now()).toISOString(),
      tag: 'riposte-log',
      msg: `Log: ${this.dropped} line(s) dropped since ${new Date(this.droppedSince).toISOString()} (${this.dropCode})`,
      dropped: this.dropped,
    };
    return `${JSON.stringify(notice)}\n`;
  }

  /** Writes all of `text` or nothing; true when written. */
  private append(text: string): boolean {
    const buf = Buffer.from(text);
    let done = 0;
    try {
      while (done < buf.length) {
        const n = writeSync(this.fd, buf, done, buf.length - done);
        if (n <= 0) {
          throw Object.assign(new Error('short write'), { code: 'EIO' });
        }
        done += n;
      }
    } catch (err) {
      this.dropCode = errCode(err);
      this.undoPartial(done);
      if (isDiskFullError(err)) {
        this.health.reportFull(this.path, this.dropCode);
      }
      return false;
    }
    this.health.reportWritten(this.path);
    return true;
  }

  /** Cuts off the `written` bytes of a line that did not fit (we are the only appender). */
  private undoPartial(written: number): void {
    if (written === 0) {
      return;
    }
    try {
      ftruncateSync(this.fd, fstatSync(this.fd).size - written);
    } catch {
      // truncating frees space and does not fail on a full disk; if it does, a partial line stays
    }
  }
}
