/**
 * The alerts.json tailer's rule for a line its consumer keeps failing on (issue 13.2): a line that
 * fails on its own is retried at the next polls, `attempts` times in all, then declared poison:
 * skipped (the caller advances and saves the offset past it), counted
 * (`riposte_input_rejected_total{entry="alerts-file",reason="poison"}`) and reported once with an
 * excerpt. Pure bookkeeping over (file, line end); no I/O.
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { recordRejection } from '../protocol/input-rejections.js';
import { excerpt } from '../protocol/json-bounds.js';
import { errorMessage } from '../protocol/error-message.js';
import type { AlertsTailerOptions } from './alerts-tailer-options.js';

/** How a consumer failure holds the lines back (PoisonLines.holds). */
export type HeldBack = 'transient' | 'stalled';

/** Identifies one line: the file (device, inode) and the offset just after its newline. */
export interface LineId {
  readonly dev: number;
  readonly ino: number;
  readonly end: number;
}

export class PoisonLines {
  private failing: (LineId & { attempts: number }) | undefined;

  constructor(
    private readonly attempts: number,
    private readonly path: string,
  ) {}

  /** A transient failure was reported and nothing has been delivered since. */
  private inOutage = false;

  /** A line (or batch) was delivered: the failure streak, or the outage, ends. */
  succeeded(): void {
    this.failing = undefined;
    this.inOutage = false;
  }

  /**
   * Whether `err` holds the lines back rather than counts against one: `transient` (the consumer's
   * store is down: retried whole) or `stalled` (a timeout: line by line, a line never counted);
   * `report` gets the error that starts an outage (see outage), once per outage.
   */
  holds(
    err: unknown,
    tests: Pick<AlertsTailerOptions, 'isTransient' | 'isStalled'>,
    report: (first: Error) => void,
  ): HeldBack | undefined {
    const how =
      tests.isTransient?.(err) === true
        ? 'transient'
        : tests.isStalled?.(err) === true
          ? 'stalled'
          : undefined;
    const first = how === undefined ? undefined : this.outage(err);
    if (first !== undefined) {
      report(first);
    }
    return how;
  }

  /**
   * The consumer failed transiently (its store is down): never counted against a line. Returns the
   * error to report when this starts an outage, undefined while one goes on (reported once).
   */
  outage(error: unknown): Error | undefined {
    if (this.inOutage) {
      return undefined;
    }
    this.inOutage = true;
    const reason = errorMessage(error);
    return new Error(`${reason} (lines kept: retried at every poll until this passes)`, { cause: error });
  }

  /**
   * `line` failed on its own with `error`. Returns undefined when it is to be retried at the next
   * poll, or the error to report when it is now skipped as poison.
   */
  failed(id: LineId, line: string, error: unknown): RiposteError | undefined {
    const f = this.failing;
    const same = f !== undefined && f.dev === id.dev && f.ino === id.ino && f.end === id.end;
    const attempts = same ? f.attempts + 1 : 1;
    if (attempts < this.attempts) {
      this.failing = { ...id, attempts };
      return undefined;
    }
    this.failing = undefined;
    recordRejection('alerts-file', 'poison');
    const reason = errorMessage(error);
    return new RiposteError(
      ErrorCode.ALERT_INVALID,
      `Skipped a line of "${this.path}" ending at offset ${id.end} after ${attempts} failed attempts (${reason}): ${excerpt(line)}`,
    );
  }
}
