/**
 * Where the alerts tailer starts reading a file it opens for the first time since start. Pure.
 *
 * Rules (in this order):
 * 1. A saved position for the same file (dev + inode) whose offset is within the file: resume there
 *    (no replay, no skip). The tailer then checks the saved signature before reading (offset 0 if
 *    the file was truncated and regrew past the offset while we were down; resumedSignature).
 * 2. A saved position for another file (rotated while we were down), or beyond the end of this file
 *    (truncated while we were down): offset 0, since all of it was written after we stopped.
 *    Lines appended to the old file after we stopped and before its rotation are lost.
 * 3. No saved position, and this file (same dev + inode) already existed when the tailer started:
 *    `startAt` decides; 'end' means its size at start, so lines appended after `start()` are read.
 *    The default 'end' matches Wazuh's logcollector (`only-future-events`): an agent installed on a
 *    host with a months-old alerts.json must not replay it as fresh alerts.
 * 4. No saved position, and the file appeared after we started: offset 0 (all of it is new).
 */

/** A byte offset inside one particular file, identified by device and inode numbers. */
export interface TailPosition {
  readonly dev: number;
  readonly ino: number;
  /** Bytes from the start of the file to just after the last handled line. */
  readonly offset: number;
  /**
   * A hash of the bytes just before `offset` (content-signature.ts): resuming there checks it, so a
   * file truncated and regrown past `offset` while we were down is read from 0. Absent in positions
   * saved by older versions, which are then trusted as they are.
   */
  readonly sig?: string;
}

/** Where to begin when there is no usable saved position. */
export type StartAt = 'end' | 'beginning';

export interface OpenedFile {
  readonly dev: number;
  readonly ino: number;
  /** Size in bytes when opened. */
  readonly size: number;
}

export interface StartContext {
  readonly saved: TailPosition | undefined;
  /** The file found at the path when the tailer started; undefined when there was none. */
  readonly atStart: OpenedFile | undefined;
  readonly startAt: StartAt;
}

/** The offset to start at (rules in the module header). */
export function decideStartOffset(file: OpenedFile, ctx: StartContext): number {
  const { saved } = ctx;
  if (saved !== undefined) {
    const same = saved.dev === file.dev && saved.ino === file.ino;
    return same && saved.offset <= file.size ? saved.offset : 0;
  }
  const { atStart } = ctx;
  const existed = atStart !== undefined && atStart.dev === file.dev && atStart.ino === file.ino;
  return existed && ctx.startAt === 'end' ? Math.min(atStart.size, file.size) : 0;
}

/** The signature saved with `saved` when we resume at it in `file`; else undefined. */
export function resumedSignature(
  file: OpenedFile,
  saved: TailPosition | undefined,
  offset: number,
): string | undefined {
  const same = saved !== undefined && saved.dev === file.dev && saved.ino === file.ino;
  return same && saved.offset === offset ? saved.sig : undefined;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isSignature = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);

/**
 * Serialises a position for a string setting (AgentStore.setSetting), e.g.
 * `{"dev":1,"ino":2,"offset":3,"sig":"<32 hex digits>"}`.
 */
export function encodeTailPosition(p: TailPosition): string {
  const sig = p.sig !== undefined ? { sig: p.sig } : {};
  return JSON.stringify({ dev: p.dev, ino: p.ino, offset: p.offset, ...sig });
}

/**
 * Parses {@link encodeTailPosition}'s output. Anything else (missing, corrupt, negative numbers)
 * gives undefined, i.e. "no saved position", rather than an error: the tailer then starts by the
 * rules above. A missing or malformed `sig` alone is dropped: the offset is trusted unchecked.
 */
export function decodeTailPosition(text: string | undefined): TailPosition | undefined {
  if (text === undefined) {
    return undefined;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) {
    return undefined;
  }
  const { dev, ino, offset, sig } = v as Record<string, unknown>;
  if (!isCount(dev) || !isCount(ino) || !isCount(offset)) {
    return undefined;
  }
  return isSignature(sig) ? { dev, ino, offset, sig } : { dev, ino, offset };
}

/** Whether `pos` is in the file `file` (dev, ino) at or past `end`. */
export function holdsThrough(
  pos: TailPosition | undefined,
  file: { readonly dev: number; readonly ino: number },
  end: number,
): boolean {
  return pos !== undefined && pos.dev === file.dev && pos.ino === file.ino && pos.offset >= end;
}
