/**
 * Keeps the first `limit` bytes written to it and counts (but drops) the rest, so a child that floods
 * its output cannot grow our memory: the stream is still read to the end, only not stored.
 */
export class CappedBuffer {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  /** @param limit bytes to keep; 0 keeps nothing. */
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room >= chunk.length) {
      this.parts.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.parts.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  /** Bytes received but not kept. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** The kept bytes decoded as UTF-8 (a character cut at the cap becomes U+FFFD). */
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}
