/**
 * The alerts.json tailer's options and interface (implemented by alerts-file-tailer.ts, which
 * documents the guarantees).
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { StartAt, TailPosition } from './tail-position.js';

export interface AlertsTailerOptions {
  readonly path: string;
  /** Called once by `start()`: the position saved by a previous run, if any. */
  readonly loadPosition: () => TailPosition | undefined;
  /** Called after each batch has been handled, with the offset just after its last line. */
  readonly savePosition: (pos: TailPosition) => Promise<void> | void;
  /**
   * Complete lines (without "\n"), in order; the next batch waits until this settles. `end` is the
   * position just after the last line given: a consumer that commits it in the same transaction as
   * the lines' effects gets exactly-once delivery across crashes (savePosition then repeats it).
   * `lineEnds[i]` is the file offset just after line i's newline, so line i starts at
   * `lineEnds[i] - Buffer.byteLength(lines[i]) - 1` (for a log that names a bad line's place).
   */
  readonly onLines: (
    lines: readonly string[],
    end: TailPosition,
    lineEnds: readonly number[],
  ) => Promise<void> | void;
  /** Delay between polls, in ms. @default 200 */
  readonly pollMs?: number;
  /** Most lines per `onLines` call. @default 1000 */
  readonly maxBatchLines?: number;
  /** Longest accepted line, in bytes without the newline. @default 1048576 (1 MiB) */
  readonly maxLineBytes?: number;
  /** Times one line may fail on its own before it is skipped as poison. @default 3 */
  readonly poisonAttempts?: number;
  /** Where a file that exists at the first poll starts when no position was saved. @default 'end' */
  readonly startAt?: StartAt;
  /**
   * True for a consumer failure that says nothing about the lines (e.g. its store is unreachable):
   * the batch is retried whole at the next polls and never skipped as poison. @default none is
   */
  readonly isTransient?: (err: unknown) => boolean;
  /**
   * True for a consumer failure that may be the batch's size as much as the store's state (a
   * statement timeout: the store stalled, or a limit one batch exceeds): the batch is offered line
   * by line as for any failure, but a line failing so alone is retried at the next polls, never
   * skipped as poison (a stalled store must not cost alerts). @default none is
   */
  readonly isStalled?: (err: unknown) => boolean;
  /**
   * The position the consumer's store holds now (what `onLines` committed last). A transient
   * failure can come after the commit landed (the connection cut before COMMIT's answer came
   * back): before a batch is offered again, its end is compared with this, and a batch already
   * committed is not offered twice (its alerts would make their orders twice). @default none:
   * such a batch is offered again
   */
  readonly committedPosition?: () => Promise<TailPosition | undefined>;
  /** Receives every error (I/O, consumer, oversized line). @default ignore */
  readonly onError?: (err: Error) => void;
}

export interface AlertsTailer {
  /** Starts polling (the first poll runs at once). Later calls do nothing. */
  start(): void;
  /** Stops polling; resolves once the in-flight batch is handled and its position saved. */
  stop(): Promise<void>;
  /**
   * Resolves when everything currently in the file has been handled: after a full poll that began
   * after this call (errors in it go to `onError`). Resolves at once when not running.
   */
  drain(): Promise<void>;
}

/** An option's value or its default. @throws RiposteError CONFIG_INVALID unless a positive integer. */
export function positiveInt(name: string, value: number | undefined, dflt: number): number {
  const v = value ?? dflt;
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `Alerts tailer: ${name} must be a positive integer, got ${v}`,
    );
  }
  return v;
}

/** The options with their defaults applied and checked. */
export interface TailerSettings {
  readonly opts: AlertsTailerOptions;
  readonly pollMs: number;
  readonly maxBatchLines: number;
  readonly maxLineBytes: number;
  readonly poisonAttempts: number;
  readonly startAt: StartAt;
}

/** @throws RiposteError CONFIG_INVALID when a numeric option is not a positive integer. */
export function tailerSettings(opts: AlertsTailerOptions): TailerSettings {
  return {
    opts,
    pollMs: positiveInt('pollMs', opts.pollMs, 200),
    maxBatchLines: positiveInt('maxBatchLines', opts.maxBatchLines, 1000),
    maxLineBytes: positiveInt('maxLineBytes', opts.maxLineBytes, 1024 * 1024),
    poisonAttempts: positiveInt('poisonAttempts', opts.poisonAttempts, 3),
    startAt: opts.startAt ?? 'end',
  };
}
