/**
 * The alerts tailer's open file (alerts-file-tailer.ts): where it stands in it, and the helpers
 * that need only the file. Adapter (file I/O).
 */
import type { FileHandle } from 'node:fs/promises';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { EMPTY_SIGNATURE, signatureAt } from './content-signature.js';
import type { TailPosition } from './tail-position.js';

/** The open file being read. `handled`/`skipScanned` follow line-batch-reader.ts's ReadFrom. */
export interface Cursor {
  readonly fh: FileHandle;
  readonly dev: number;
  readonly ino: number;
  handled: number;
  skipScanned: number | undefined;
  /** Of the bytes just before `handled`, as they were when we read them (content-signature.ts). */
  signature: string;
  /** Set when a call of `onLines` failed transiently: it may have committed (see offer). */
  uncertain: boolean;
}

/** A position with the signature of the bytes before its offset, as the tailer saves them. */
export type SignedPosition = TailPosition & { readonly sig: string };

/** `offset` in the cursor's file, signed with the bytes there now (one pread). */
export async function positionAt(cur: Cursor, offset: number): Promise<SignedPosition> {
  return { dev: cur.dev, ino: cur.ino, offset, sig: await signatureAt(cur.fh, offset) };
}

/** Where the cursor stands, as saved. */
export function positionOf(cur: Cursor): SignedPosition {
  return { dev: cur.dev, ino: cur.ino, offset: cur.handled, sig: cur.signature };
}

/**
 * Back to offset 0 of the same file (truncated or rewritten in place: everything in it is new). A
 * transient failure's doubt (`uncertain`) concerned the old content; the new lines were never
 * offered, so it is dropped (else a committed old offset would pass them as already committed).
 */
export function rewind(cur: Cursor): void {
  cur.handled = 0;
  cur.skipScanned = undefined;
  cur.signature = EMPTY_SIGNATURE;
  cur.uncertain = false;
}

/** Closes a rotated-away file, reporting an unterminated last line that can never complete. */
export async function retire(cur: Cursor, path: string, report: (err: Error) => void): Promise<void> {
  try {
    const { size } = await cur.fh.stat();
    if (cur.skipScanned === undefined && size > cur.handled) {
      report(
        new RiposteError(
          ErrorCode.ALERT_INVALID,
          `Discarded ${size - cur.handled} bytes after the last newline of rotated "${path}"`,
        ),
      );
    }
  } finally {
    await cur.fh.close();
  }
}
