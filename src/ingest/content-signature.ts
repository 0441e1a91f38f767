/**
 * Detects a copytruncate that the file size alone cannot: the file was truncated and has already
 * grown back past our offset before we looked (a busy manager, a slow consumer, or while we were
 * down). We remember a hash of the bytes just before our offset (the end of the last handled line,
 * which for Wazuh alerts carries a unique alert id and timestamp) and check it before every read
 * from that offset. The hash is saved with the offset (TailPosition.sig), so the check holds
 * across restarts too. A file rewritten with the very same bytes up to our offset is not told
 * apart, and needs no telling: reading on from the offset then skips nothing.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** How many bytes before the offset are hashed. */
export const SIGNATURE_BYTES = 4096;

/** The signature at offset 0 (nothing before it): any file holds it. */
export const EMPTY_SIGNATURE = hash(Buffer.alloc(0));

function hash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** The signature of the up-to-SIGNATURE_BYTES bytes that end at `offset` (one pread). */
export async function signatureAt(fh: FileHandle, offset: number): Promise<string> {
  const len = Math.min(SIGNATURE_BYTES, offset);
  if (len === 0) {
    return EMPTY_SIGNATURE;
  }
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, offset - len);
  return hash(buf.subarray(0, bytesRead));
}

/**
 * True when the bytes ending at `offset` still give `signature`. False too when the file is now
 * shorter than `offset` (fewer bytes read, another hash).
 */
export async function signatureHolds(fh: FileHandle, offset: number, signature: string): Promise<boolean> {
  return (await signatureAt(fh, offset)) === signature;
}
