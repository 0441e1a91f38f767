/**
 * Tails Wazuh's alerts.json (one JSON alert per line) and hands complete lines to a consumer,
 * surviving restarts, rotation and truncation. Adapter: file I/O and the one poll timer live here;
 * what a line means is the consumer's business.
 *
 * Guarantees:
 * - Lines are delivered in file order, complete lines only (a partial last line is held until its
 *   newline arrives), empty lines dropped. A line over `maxLineBytes` is skipped and reported.
 * - After each handled batch the position just after its last line is saved, so a restart resumes
 *   there: no skip, no replay (see tail-position.ts for where a first open starts).
 * - Rotation (the path now names another inode, e.g. rename + create): the old file is read to its
 *   end through the still-open descriptor, then the new file is read from offset 0.
 * - Truncation (same inode, e.g. logrotate copytruncate): restart at 0, the position saved at once.
 *   Seen by the size dropping below our offset, or, when the file regrew past our offset before we
 *   looked, by the bytes before our offset no longer being those we read there: their signature
 *   (content-signature.ts) is checked before every read, and saved with the position, so this
 *   holds across restarts too.
 * - If `onLines` fails for a batch, the error goes to `onError` and the lines are offered one at a
 *   time, the position saved after each. A line failing alone is retried at the next polls, then
 *   skipped as poison with its offset saved past it (poison-line.ts; issue 13.2). For
 *   exactly-once delivery under failures, `onLines` must be all-or-nothing for a call.
 * - A failure `isTransient` accepts (the consumer's store is down, restarting or full) is nobody's
 *   line's fault: the batch is retried whole at the next polls, for as long as it takes, and never
 *   counts towards poison. It is reported once per outage, not at every poll. A stall
 *   (`isStalled`: a statement timeout) is offered line by line, but a line failing so alone is
 *   retried like a transient failure, never skipped as poison. Before the retry,
 *   `committedPosition` says whether the failed call committed after all (its answer was lost):
 *   then the batch counts as handled, not offered twice.
 * - One timer (a setTimeout chain, never overlapping); nothing throws from it, errors go to `onError`.
 *   A poll failing the same way again and again (the path is a directory, the file is not
 *   readable) is reported when it starts and then once a minute, not at every poll.
 */
import { statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { signatureAt, signatureHolds } from './content-signature.js';
import { endsLine, isNotFound, readLineBatch, regularFile } from './line-batch-reader.js';
import type { LineBatch, LineLimits } from './line-batch-reader.js';
import { tailerSettings, type AlertsTailer, type AlertsTailerOptions } from './alerts-tailer-options.js';
import { PoisonLines, type HeldBack } from './poison-line.js';
import { RepeatedErrors } from './repeated-error.js';
import { positionAt, positionOf, retire, rewind, type Cursor, type SignedPosition } from './tail-cursor.js';
import {
  decideStartOffset,
  holdsThrough,
  resumedSignature,
  type OpenedFile,
  type TailPosition,
} from './tail-position.js';

export type { StartAt, TailPosition } from './tail-position.js';
export type { AlertsTailer, AlertsTailerOptions } from './alerts-tailer-options.js';

/** @throws RiposteError CONFIG_INVALID when a numeric option is not a positive integer. */
export function createAlertsTailer(opts: AlertsTailerOptions): AlertsTailer {
  return new AlertsFileTailer(tailerSettings(opts));
}

class AlertsFileTailer implements AlertsTailer {
  private state: 'new' | 'started' | 'stopped' = 'new';
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  /** drain() calls waiting for the next full poll. */
  private waiters: (() => void)[] = [];
  private cur: Cursor | undefined;
  private saved: TailPosition | undefined;
  /** The start rules apply to the first file opened only; later ones start at 0. */
  private openedOnce = false;
  /** The file at the path when start() ran (for startAt 'end'). */
  private atStart: OpenedFile | undefined;
  private readonly limits: LineLimits;
  private readonly poison: PoisonLines;
  /** A poll failing the same way at every retry is reported once a minute (repeated-error.ts). */
  private readonly pollErrors = new RepeatedErrors(this.report.bind(this));

  constructor(private readonly s: ReturnType<typeof tailerSettings>) {
    this.poison = new PoisonLines(s.poisonAttempts, s.opts.path);
    this.limits = {
      maxLines: s.maxBatchLines,
      maxLineBytes: s.maxLineBytes,
      onOversized: (offset, bytes) => {
        this.report(
          new RiposteError(
            ErrorCode.ALERT_INVALID,
            `Skipped a line longer than ${s.maxLineBytes} bytes (${bytes}+) at offset ${offset} of "${s.opts.path}"`,
          ),
        );
      },
    };
  }

  start(): void {
    if (this.state !== 'new') {
      return;
    }
    this.state = 'started';
    try {
      this.saved = this.s.opts.loadPosition();
    } catch (err) {
      this.report(err);
    }
    this.atStart = this.snapshotAtStart();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    const fh = this.cur?.fh;
    this.cur = undefined;
    await fh?.close().catch((err: unknown) => {
      this.report(err);
    });
    this.waiters.splice(0).forEach((w) => {
      w();
    });
  }

  drain(): Promise<void> {
    if (this.state !== 'started') {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.inFlight === undefined) {
        clearTimeout(this.timer);
        this.schedule(0);
      }
    });
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.poll();
    }, ms);
  }

  /** One poll; never rejects. Releases the drain() calls made before it began. */
  private async poll(): Promise<void> {
    const waiters = this.waiters.splice(0);
    try {
      await this.readAvailable();
      this.pollErrors.succeeded();
    } catch (err) {
      this.pollErrors.failed(err, Date.now());
    }
    this.inFlight = undefined;
    waiters.forEach((w) => {
      w();
    });
    if (this.state === 'started') {
      this.schedule(this.waiters.length > 0 ? 0 : this.s.pollMs);
    }
  }

  /** Reads to the end of the current file, following truncation and rotation. */
  private async readAvailable(): Promise<void> {
    this.cur ??= await this.openCurrent();
    while (this.cur !== undefined && (await this.readToEof(this.cur))) {
      const change = await this.pathChange(this.cur);
      if (change === 'none') {
        return;
      }
      if (change === 'truncated') {
        await this.restartAtZero(this.cur);
        continue;
      }
      // Rotated: take what was appended to the old file since our last read, then switch.
      if (!(await this.readToEof(this.cur))) {
        return;
      }
      await retire(this.cur, this.s.opts.path, this.report.bind(this));
      this.cur = undefined;
      this.cur = await this.openCurrent();
      if (this.cur !== undefined) {
        await this.save(this.cur);
      }
    }
  }

  /**
   * Delivers batches until the end of the file; false when stopped in between, or when a failing
   * line is to be offered again at the next poll.
   */
  private async readToEof(cur: Cursor): Promise<boolean> {
    for (;;) {
      if (this.state !== 'started') {
        return false;
      }
      // Before every read, not once per poll: delivering a batch can take long (a slow store),
      // and the file can be truncated and regrow past our offset meanwhile.
      if (!(await signatureHolds(cur.fh, cur.handled, cur.signature))) {
        await this.restartAtZero(cur);
      }
      const batch = await readLineBatch(cur.fh, cur, this.limits);
      if (batch.end !== cur.handled) {
        // Signed right after the read, before the (possibly long) delivery.
        const end = await positionAt(cur, batch.end);
        if (batch.lines.length > 0 && !(await this.deliver(cur, batch, end))) {
          return false;
        }
        await this.advance(cur, end);
      }
      cur.skipScanned = batch.skipScanned;
      if (batch.eof) {
        return true;
      }
    }
  }

  /** Hands a batch to the consumer; on failure, line by line (see the header). False = retry later. */
  private async deliver(cur: Cursor, batch: LineBatch, end: SignedPosition): Promise<boolean> {
    try {
      await this.offer(cur, batch.lines, end, batch.lineEnds);
      return true;
    } catch (err) {
      const how = this.holds(err);
      cur.uncertain = how !== undefined; // it may have committed after all: the next offer checks
      if (how === 'transient') {
        return false; // retried whole; a stalled batch goes line by line
      }
      if (how === undefined) {
        this.report(err);
      }
    }
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.lines[i] ?? '';
      const lineEnd = await positionAt(cur, batch.lineEnds[i] ?? batch.end);
      if (!(await this.deliverOne(cur, line, lineEnd))) {
        return false;
      }
      await this.advance(cur, lineEnd);
    }
    return true;
  }

  /**
   * `onLines` for `lines` ending at `end`, unless a call that failed transiently (cur.uncertain)
   * committed them after all: the store then holds a position of this file at or past `end`.
   * A failing read of that position throws (transient: asked again at the next poll).
   */
  private async offer(
    cur: Cursor,
    lines: readonly string[],
    end: SignedPosition,
    lineEnds: readonly number[],
  ): Promise<void> {
    const read = this.s.opts.committedPosition;
    if (cur.uncertain && read !== undefined && holdsThrough(await read(), cur, end.offset)) {
      cur.uncertain = false;
      return;
    }
    cur.uncertain = false;
    await this.s.opts.onLines(lines, end, lineEnds);
    this.poison.succeeded();
  }

  /** One line alone; true when delivered or skipped as poison, false when to be retried. */
  private async deliverOne(cur: Cursor, line: string, end: SignedPosition): Promise<boolean> {
    try {
      await this.offer(cur, [line], end, [end.offset]);
      return true;
    } catch (err) {
      if (this.holds(err) !== undefined) {
        cur.uncertain = true;
        return false;
      }
      const skipped = this.poison.failed({ dev: cur.dev, ino: cur.ino, end: end.offset }, line, err);
      if (skipped) {
        this.report(skipped);
      }
      return skipped !== undefined;
    }
  }

  private async pathChange(cur: Cursor): Promise<'none' | 'truncated' | 'rotated'> {
    let st;
    try {
      st = await stat(this.s.opts.path);
    } catch (err) {
      // Renamed away and not recreated yet: keep reading the old file through our descriptor.
      if (isNotFound(err)) {
        return 'none';
      }
      throw err;
    }
    if (st.dev !== cur.dev || st.ino !== cur.ino) {
      return 'rotated';
    }
    // A truncated file that regrew past our offset is caught by the signature check in readToEof.
    return st.size < (cur.skipScanned ?? cur.handled) ? 'truncated' : 'none';
  }

  /**
   * The file was truncated (or rewritten) in place: read it from 0 (tail-cursor.ts's rewind).
   * Saved at once: resuming at the old offset after a restart would skip lines.
   */
  private async restartAtZero(cur: Cursor): Promise<void> {
    rewind(cur);
    await this.save(cur);
  }

  /** Moves past handled lines and saves the position. */
  private async advance(cur: Cursor, to: SignedPosition): Promise<void> {
    cur.handled = to.offset;
    cur.signature = to.sig;
    await this.save(cur);
  }

  /** Opens the path; undefined when it does not exist (it is waited for). */
  private async openCurrent(): Promise<Cursor | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(this.s.opts.path, 'r');
    } catch (err) {
      if (isNotFound(err)) {
        return undefined;
      }
      throw err;
    }
    try {
      return await this.cursorFor(fh);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  private async cursorFor(fh: FileHandle): Promise<Cursor> {
    const st = regularFile(await fh.stat());
    const file = { dev: st.dev, ino: st.ino, size: st.size };
    const ctx = { saved: this.saved, atStart: this.atStart, startAt: this.s.startAt };
    const first = !this.openedOnce;
    const handled = first ? decideStartOffset(file, ctx) : 0;
    this.openedOnce = true;
    // Starting in the middle of a line (possible only with startAt 'end'): skip its tail silently.
    const skipScanned = handled > 0 && !(await endsLine(fh, handled)) ? handled : undefined;
    // Resuming at a saved position: its signature, checked before the first read. Otherwise (or a
    // position saved without one) the file is taken as we find it.
    const saved = first ? resumedSignature(file, this.saved, handled) : undefined;
    const signature = saved ?? (await signatureAt(fh, handled));
    return { fh, dev: st.dev, ino: st.ino, handled, skipScanned, signature, uncertain: false };
  }

  /**
   * Synchronous on purpose: "the end" must be the size when start() was called, so that lines
   * appended right after start() are not skipped by a first poll that runs later.
   */
  private snapshotAtStart(): OpenedFile | undefined {
    try {
      const st = statSync(this.s.opts.path);
      return { dev: st.dev, ino: st.ino, size: st.size };
    } catch (err) {
      if (!isNotFound(err)) {
        this.report(err);
      }
      return undefined;
    }
  }

  /** Saves the position (awaited: a later save never lands before an earlier one). */
  private async save(cur: Cursor): Promise<void> {
    try {
      await this.s.opts.savePosition(positionOf(cur));
    } catch (err) {
      this.report(err);
    }
  }

  /** How `err` holds the lines back (PoisonLines.holds), reported once per outage. */
  private holds(err: unknown): HeldBack | undefined {
    return this.poison.holds(err, this.s.opts, (first) => {
      this.report(first);
    });
  }

  private report(err: unknown): void {
    try {
      this.s.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // An error handler that throws must not kill the poll loop.
    }
  }
}
