/**
 * ScriptChannel implementations: over a readable/writable stream pair (stdin/stdout of a standalone
 * script) and an in-memory pair for tests and in-process hosts.
 *
 * Lines are split on `\n` (a trailing `\r` is kept, as Wazuh's fgets does). A line longer than
 * {@link MAX_LINE_BYTES} is cut there: the rest is discarded up to the next newline, so an oversized
 * message fails the envelope check instead of exhausting memory.
 */
import type { Readable, Writable } from 'node:stream';
import type { ScriptChannel } from '../../protocol/script-io.js';

/** Longest line kept: Wazuh's OS_MAXSTR (64 KiB) with headroom for 4-byte UTF-8. */
export const MAX_LINE_BYTES = 256 * 1024;

/** Queue of complete lines with awaiting readers; `end()` makes further reads return undefined. */
export class LineQueue {
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string | undefined) => void)[] = [];
  private ended = false;

  push(line: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(line);
    } else {
      this.lines.push(line);
    }
  }

  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) {
      w(undefined);
    }
  }

  read(): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined || this.ended) {
      return Promise.resolve(line);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Splits a byte stream into lines for a {@link LineQueue}, enforcing the length cap. */
function feedLines(input: Readable, queue: LineQueue): void {
  let partial = '';
  let discarding = false;
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      if (!discarding) {
        queue.push(p);
      }
      discarding = false;
    }
    if (partial.length > MAX_LINE_BYTES) {
      if (!discarding) {
        queue.push(partial.slice(0, MAX_LINE_BYTES));
      }
      partial = '';
      discarding = true;
    }
  });
  const finish = (): void => {
    if (partial !== '' && !discarding) {
      queue.push(partial); // a last line without newline still counts, as with fgets
    }
    partial = '';
    queue.end();
  };
  input.on('end', finish);
  input.on('error', finish);
}

/** A channel over any stream pair. Reading starts on the first readLine. */
export function streamChannel(input: Readable, output: Writable): ScriptChannel {
  let queue: LineQueue | undefined;
  return {
    readLine(): Promise<string | undefined> {
      if (!queue) {
        queue = new LineQueue();
        feedLines(input, queue);
      }
      return queue.read();
    },
    writeLine(line: string): void {
      output.write(`${line}\n`);
    },
  };
}

/** The standalone script's channel: process stdin and stdout. */
export function stdioChannel(): ScriptChannel {
  // execd runs deletes without a stdout pipe and may close it early: a write error must not crash us.
  process.stdout.on('error', () => undefined);
  return streamChannel(process.stdin, process.stdout);
}

/** Both ends of an in-memory channel: `script` for runStockScript, `peer` plays execd. */
export interface PairedChannel {
  readonly script: ScriptChannel;
  readonly peer: {
    /** Sends one line to the script. */
    send(line: string): void;
    /** Closes the script's input (EOF). */
    end(): void;
    /** Next line the script wrote; undefined after {@link PairedChannel.peer.close}. */
    readLine(): Promise<string | undefined>;
    /** Ends the script's output side (call after the script finished). */
    close(): void;
  };
}

/** An in-memory channel pair, for tests and in-process hosts. */
export function pairedChannel(): PairedChannel {
  const toScript = new LineQueue();
  const fromScript = new LineQueue();
  return {
    script: {
      readLine: () => toScript.read(),
      writeLine: (line) => {
        fromScript.push(line);
      },
    },
    peer: {
      send: (line) => {
        toScript.push(line);
      },
      end: () => {
        toScript.end();
      },
      readLine: () => fromScript.read(),
      close: () => {
        fromScript.end();
      },
    },
  };
}
