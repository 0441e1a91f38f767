/**
 * Keeps only the last `limit` bytes written to it, e.g. the end of a script's stderr, which is where
 * the error message usually is. Memory stays bounded by about 2 x limit.
 */
export class TailBuffer {
  private buf: Buffer = Buffer.alloc(0);

  /** @param limit bytes to keep; 0 keeps nothing. */
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    if (this.limit <= 0) {
      return;
    }
    if (chunk.length >= this.limit) {
      this.buf = Buffer.from(chunk.subarray(chunk.length - this.limit));
      return;
    }
    this.buf = Buffer.concat([this.buf, chunk]);
    if (this.buf.length > 2 * this.limit) {
      this.buf = Buffer.from(this.buf.subarray(this.buf.length - this.limit));
    }
  }

  /** The last `limit` bytes decoded as UTF-8 (a character cut at the start becomes U+FFFD). */
  text(): string {
    const start = Math.max(0, this.buf.length - this.limit);
    return this.buf.subarray(start).toString('utf8');
  }
}
