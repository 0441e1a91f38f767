/**
 * Detects a copytruncate that the file size alone cannot: the file was truncated and has already
 * grown back past our offset between two polls. We remember the bytes just before our offset (the
 * end of the last handled line, which for Wazuh alerts carries a unique alert id and timestamp) and
 * check them again before trusting the offset.
 */
import type { FileHandle } from 'node:fs/promises';

/** How many bytes before the offset make the signature. */
export const SIGNATURE_BYTES = 4096;

/** The up-to-SIGNATURE_BYTES bytes that end at `offset`. */
export async function readSignature(fh: FileHandle, offset: number): Promise<Buffer> {
  const len = Math.min(SIGNATURE_BYTES, offset);
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, offset - len);
  return buf.subarray(0, bytesRead);
}

/** True when the bytes ending at `offset` are still `signature`. */
export async function signatureHolds(fh: FileHandle, offset: number, signature: Buffer): Promise<boolean> {
  return (await readSignature(fh, offset)).equals(signature);
}
