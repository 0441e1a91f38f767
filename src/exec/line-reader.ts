/**
 * Extracts the first line of a child's stdout, the way Wazuh execd does with one `fgets` of at most
 * `maxLineBytes` bytes (reference §2.3: 8191): the line ends at "\n" (not included), at the byte
 * limit, or at EOF if some bytes came first. Everything after the first line is dropped as it
 * arrives, so a flooding child costs no memory; the stream must still be read to the end.
 */

/** Result of waiting for the first line. */
export type LineRead = { kind: 'line'; line: string } | { kind: 'eof' } | { kind: 'timeout' };

type Settled = { kind: 'line'; line: string } | { kind: 'eof' };

export class FirstLineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private settled: Settled | undefined;
  private taken = false;
  private readonly waiters = new Set<(r: Settled) => void>();

  /** @param maxLineBytes a longer line is cut at this many bytes. */
  constructor(private readonly maxLineBytes: number) {}

  /** Feeds stdout bytes in arrival order. */
  push(chunk: Buffer): void {
    if (this.settled !== undefined) {
      return;
    }
    const nl = chunk.indexOf(0x0a);
    const part = nl === -1 ? chunk : chunk.subarray(0, nl);
    this.parts.push(part);
    this.size += part.length;
    if (nl !== -1 || this.size >= this.maxLineBytes) {
      this.settleLine();
    }
  }

  /** Marks end of stdout (or that it was cut). A partial line received before EOF still counts. */
  end(): void {
    if (this.settled !== undefined) {
      return;
    }
    if (this.size > 0) {
      this.settleLine();
    } else {
      this.settle({ kind: 'eof' });
    }
  }

  /**
   * Waits up to `timeoutMs` for the first line. The line is delivered once; later calls get `eof`.
   * A `timeout` result does not consume anything: a later call may still get the line.
   */
  read(timeoutMs: number): Promise<LineRead> {
    const ready = this.take();
    if (ready !== undefined) {
      return Promise.resolve(ready);
    }
    return new Promise<LineRead>((resolve) => {
      const onSettled = (): void => {
        clearTimeout(timer);
        this.waiters.delete(onSettled);
        resolve(this.take() ?? { kind: 'eof' });
      };
      const timer = setTimeout(() => {
        this.waiters.delete(onSettled);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiters.add(onSettled);
    });
  }

  private take(): LineRead | undefined {
    if (this.settled === undefined) {
      return undefined;
    }
    if (this.settled.kind === 'line' && !this.taken) {
      this.taken = true;
      return this.settled;
    }
    return { kind: 'eof' };
  }

  private settleLine(): void {
    const bytes = Buffer.concat(this.parts).subarray(0, this.maxLineBytes);
    this.settle({ kind: 'line', line: bytes.toString('utf8') });
  }

  private settle(result: Settled): void {
    this.settled = result;
    this.parts = [];
    this.size = 0;
    for (const waiter of [...this.waiters]) {
      waiter(result);
    }
  }
}
