/**
 * Reads complete newline-terminated lines from an open file, starting at a byte offset, in
 * batches. It holds no state between calls: a partial last line is simply not consumed, so the
 * next call re-reads it from the returned `end` offset. Only an oversized line in progress is
 * remembered (`skipScanned`), so it is not rescanned from its start on every poll.
 */
import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

/** Bytes read per `read()` call. */
const CHUNK_BYTES = 64 * 1024;

export interface LineLimits {
  /** Stop a batch after this many delivered lines. */
  readonly maxLines: number;
  /** A line longer than this (in bytes, without its newline) is skipped. */
  readonly maxLineBytes: number;
  /** Called once per skipped oversized line, with the file offset where it starts and the bytes seen so far. */
  readonly onOversized: (offset: number, bytes: number) => void;
}

export interface ReadFrom {
  /** File offset just after the last handled line. */
  readonly handled: number;
  /**
   * Set when the line starting at `handled` is being skipped (oversized, or the tail of a line the
   * tailer started in the middle of): bytes [handled, skipScanned) hold no newline.
   */
  readonly skipScanned: number | undefined;
}

export interface LineBatch {
  /** Complete lines without their "\n", in file order; empty lines are dropped. */
  readonly lines: string[];
  /** For each of `lines`, the file offset just after its newline. */
  readonly lineEnds: number[];
  /** File offset just after the last consumed line (delivered, empty or skipped). */
  readonly end: number;
  /** True when the read reached the end of the file (the batch was not cut by `maxLines`). */
  readonly eof: boolean;
  /** As in {@link ReadFrom}, for the next call; only set when `eof`. */
  readonly skipScanned: number | undefined;
}

/** Splits bytes fed in file order into lines; see {@link readLineBatch}. */
class LineScanner {
  readonly lines: string[] = [];
  readonly lineEnds: number[] = [];
  end: number;
  skipping: boolean;
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(
    from: ReadFrom,
    private readonly limits: LineLimits,
  ) {
    this.end = from.handled;
    this.skipping = from.skipScanned !== undefined;
  }

  /**
   * Feeds a chunk that starts at file offset `at`; returns false once `maxLines` lines are
   * collected (the rest of the chunk is then ignored).
   */
  feed(chunk: Buffer, at: number): boolean {
    let i = 0;
    while (i < chunk.length) {
      const nl = chunk.indexOf(0x0a, i);
      if (nl === -1) {
        this.hold(chunk.subarray(i));
        return true;
      }
      const delivered = this.lines.length;
      this.complete(chunk.subarray(i, nl));
      this.end = at + nl + 1;
      if (this.lines.length > delivered) {
        this.lineEnds.push(this.end);
      }
      i = nl + 1;
      if (this.lines.length >= this.limits.maxLines) {
        return false;
      }
    }
    return true;
  }

  /** Keeps a copy of an unterminated segment (the chunk buffer is reused by the reader). */
  private hold(segment: Buffer): void {
    if (this.skipping) {
      return;
    }
    this.partBytes += segment.length;
    if (this.partBytes > this.limits.maxLineBytes) {
      this.limits.onOversized(this.end, this.partBytes);
      this.skipping = true;
      this.parts = [];
      return;
    }
    this.parts.push(Buffer.from(segment));
  }

  private complete(segment: Buffer): void {
    const bytes = this.partBytes + segment.length;
    if (!this.skipping && bytes > this.limits.maxLineBytes) {
      this.limits.onOversized(this.end, bytes);
    } else if (!this.skipping && bytes > 0) {
      this.lines.push(Buffer.concat([...this.parts, segment]).toString('utf8'));
    }
    this.skipping = false;
    this.parts = [];
    this.partBytes = 0;
  }
}

/**
 * Reads lines from `fh` starting at `from`, until `limits.maxLines` lines or the end of the file.
 * Reads by position (pread), so the handle's own file position is irrelevant.
 */
export async function readLineBatch(fh: FileHandle, from: ReadFrom, limits: LineLimits): Promise<LineBatch> {
  const scanner = new LineScanner(from, limits);
  let pos = from.skipScanned ?? from.handled;
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, pos);
    if (bytesRead === 0) {
      const skipScanned = scanner.skipping ? pos : undefined;
      return { lines: scanner.lines, lineEnds: scanner.lineEnds, end: scanner.end, eof: true, skipScanned };
    }
    const more = scanner.feed(buf.subarray(0, bytesRead), pos);
    pos += bytesRead;
    if (!more) {
      return {
        lines: scanner.lines,
        lineEnds: scanner.lineEnds,
        end: scanner.end,
        eof: false,
        skipScanned: undefined,
      };
    }
  }
}

/** True for a "no such file" error (the path was renamed away or not created yet). */
export function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * `st` when it is a regular file. Anything else at the alerts path (a directory given by mistake)
 * throws, so the tailer keeps no descriptor of it and opens the path again at the next poll: it
 * reads the file once one takes its place.
 */
export function regularFile<T extends { isFile(): boolean }>(st: T): T {
  if (!st.isFile()) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      'not a regular file (a directory?); it is read once a file takes its place',
    );
  }
  return st;
}

/** True when the byte just before `offset` is a newline. */
export async function endsLine(fh: FileHandle, offset: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  const { bytesRead } = await fh.read(b, 0, 1, offset - 1);
  return bytesRead === 1 && b[0] === 0x0a;
}
