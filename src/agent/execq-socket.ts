/**
 * The execq intake: a unix datagram socket at `<home>/queue/alerts/execq`, as wazuh-execd binds
 * (reference §2.1), so Wazuh's own agent daemon (or anything that writes there) can feed Riposte.
 * One datagram = one message (at most 65536 bytes, Wazuh's OS_MAXSTR). The socket is created
 * mode 0660 so only the daemon's user and group can write to it.
 *
 * The socket's receive queue holds only `net.unix.max_dgram_qlen` datagrams (10 by default, as on
 * a Wazuh host); a sender whose datagram does not fit must wait (or, like Wazuh's analysisd, drops
 * it). So each wake-up drains what is queued, up to {@link MAX_READS_PER_TURN} datagrams, in one
 * event-loop turn: the sender gets the whole queue back at once, and the messages of one turn form
 * one batch downstream (execd's batch queues collect what one turn submits).
 *
 * While the daemon is busy (a batch step runs synchronously for a while), the sender would wait
 * on the full queue until the step ends, so intake and the batch work would take turns. `poll()`,
 * called by those steps, takes what is queued now into a bounded backlog (text only: nothing runs
 * then); the backlog is handed to `onMessage` in order, on the next turn or before the next
 * datagram, whichever comes first. The sender refills the queue meanwhile on the other CPU.
 *
 * Held as text while the consumer is full ({@link IntakeGate}): the datagrams read while execd
 * already has a whole next batch queued wait in the backlog as their text (one flat string each)
 * instead of being parsed into queued jobs (a message tree, its job, promise and closures: ~20
 * objects). A burst's backlog (thousands of messages when intake outpaces the batches) then no
 * longer survives every scavenge as object graphs that are copied and promoted (issue #12 row 1:
 * GC). Reading goes on as before (the sender never waits longer); arrival order is kept (every
 * datagram goes through the backlog, handed over in order); past {@link MAX_HELD_MESSAGES} or
 * {@link MAX_BACKLOG_BYTES} it is handed over anyway, as before the gate.
 */
import { chmodSync, mkdirSync, readSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { createSocket, UnixDgramSocket } from 'unix-dgram';
import { socketPathError } from '../net/socket-path.js';
import { dgramErrno, execqBindFailure } from './execq-bind-error.js';

/**
 * unix-dgram, loaded on first use: a native addon that is not context-aware loads in one thread
 * of a process only, and `riposte start` runs agent 000 (which imports this module) on a worker
 * thread while its main thread binds the socket (runtime/local-agent-thread.ts).
 */
interface UnixDgram {
  readonly createSocket: typeof createSocket;
}
let dgramModule: UnixDgram | undefined;
function unixDgram(): UnixDgram {
  dgramModule ??= createRequire(import.meta.url)('unix-dgram') as UnixDgram;
  return dgramModule;
}

/**
 * The consumer's side of the backlog: while `held()` is true, datagrams wait in the backlog as text;
 * the consumer calls the function it was given by `onRoom` when it has room again.
 */
export interface IntakeGate {
  readonly held: () => boolean;
  readonly onRoom: (resume: () => void) => void;
}

export interface ExecqSocket {
  readonly path: string;
  /**
   * Takes the datagrams queued now into the backlog (see module doc); does nothing when called
   * again within {@link POLL_EVERY_MS} or when the backlog is full. Never throws.
   */
  readonly poll: () => void;
  /** Hands the backlog to `onMessage`, then closes the socket. */
  close(): void;
}

/** Most datagrams read in one event-loop turn (the rest wait for the next turn: timers, API). */
export const MAX_READS_PER_TURN = 256;
/** Least time between two reads by {@link ExecqSocket.poll} (a read of an empty queue costs a throw). */
export const POLL_EVERY_MS = 0.5;
/** The backlog's bounds: beyond them, `poll` leaves datagrams queued (the sender waits, as before). */
export const MAX_BACKLOG_MESSAGES = 4096;
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** Most datagrams held by the gate: beyond this (or MAX_BACKLOG_BYTES) they are handed over anyway. */
export const MAX_HELD_MESSAGES = 16_384;
/** Wazuh's OS_MAXSTR, the largest message; unix-dgram reads with the same buffer size. */
const MAX_DATAGRAM_BYTES = 65_536;

const scratch = Buffer.allocUnsafe(MAX_DATAGRAM_BYTES);

/**
 * Reads the datagrams queued on non-blocking `fd` after the one unix-dgram delivered, until the
 * queue is empty (EAGAIN) or `max` were read. Every drain ends on the EAGAIN error readSync throws;
 * it is built without a stack trace (~13-20 us -> ~9-11 us measured here; a burst drains thousands
 * of times), and the limit is restored before anything else runs.
 */
function drainQueued(fd: number, max: number, onMessage: (text: string) => void): void {
  const stackTraceLimit = Error.stackTraceLimit;
  for (let i = 0; i < max && fd >= 0; i++) {
    let n: number;
    Error.stackTraceLimit = 0;
    try {
      n = readSync(fd, scratch, 0, scratch.length, null);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') {
        return;
      }
      throw err;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    onMessage(scratch.toString('utf8', 0, n));
  }
}

/**
 * The datagrams taken off the socket and not yet handed to `onMessage`. Every datagram goes
 * through it, so arrival order is kept: the backlog is handed over whole before anything read
 * later (a poll during the hand-over fills the next backlog).
 */
class Backlog {
  /** Texts not yet handed over are texts[head..]. */
  private texts: string[] = [];
  private head = 0;
  private bytes = 0;
  private flushQueued = false;
  private lastPoll = 0;
  open = true;

  constructor(
    private readonly fd: () => number,
    private readonly onMessage: (text: string) => void,
    private readonly report: (err: unknown) => void,
    private readonly gate: IntakeGate | undefined,
  ) {
    gate?.onRoom(this.resume);
  }

  readonly take = (text: string): void => {
    this.texts.push(text);
    this.bytes += text.length;
  };

  /** Datagrams read and not yet handed over. */
  private get size(): number {
    return this.texts.length - this.head;
  }

  /** The consumer has room again: what the gate held is handed over on the next turn. */
  private readonly resume = (): void => {
    if (this.size > 0) {
      this.queueFlush();
    }
  };

  private queueFlush(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flush();
      });
    }
  }

  /** True when the gate holds what is left (closing, or past the bounds, hands it over anyway). */
  private holding(): boolean {
    return (
      this.open &&
      this.gate !== undefined &&
      this.size < MAX_HELD_MESSAGES &&
      this.bytes < MAX_BACKLOG_BYTES &&
      this.gate.held()
    );
  }

  /** The datagram unix-dgram delivered, then what is queued behind it, all handed over now. */
  delivered(text: string): void {
    this.take(text);
    this.read(MAX_READS_PER_TURN - 1);
    this.flush();
  }

  readonly poll = (): void => {
    const now = performance.now();
    if (!this.open || now - this.lastPoll < POLL_EVERY_MS) {
      return;
    }
    this.lastPoll = now;
    const room = MAX_BACKLOG_MESSAGES - this.size;
    if (room <= 0 || this.bytes >= MAX_BACKLOG_BYTES) {
      return;
    }
    this.read(room);
    if (this.size > 0) {
      this.queueFlush();
    }
  };

  /** Hands the texts over in order, until the gate holds the rest (see module doc). */
  flush(): void {
    this.flushQueued = false;
    while (this.size > 0 && !this.holding()) {
      const text = this.texts[this.head] as string;
      this.head++;
      this.bytes -= text.length;
      try {
        this.onMessage(text);
      } catch (err) {
        this.report(err); // one message's failure never drops the ones behind it
      }
      this.poll();
    }
    if (this.size === 0) {
      this.texts = [];
      this.head = 0;
      this.bytes = 0;
    } else if (this.head >= 1024) {
      this.texts = this.texts.slice(this.head);
      this.head = 0;
    }
  }

  private read(max: number): void {
    try {
      drainQueued(this.fd(), max, this.take);
    } catch (err) {
      this.report(err);
    }
  }
}

/**
 * Binds the socket (replacing a stale one) and calls `onMessage` with each datagram's text, in
 * arrival order; with `gate`, not while the gate holds them (see {@link IntakeGate}). Every
 * failure rejects, none throws (a caller in an event listener would end the process); one the
 * operator can fix rejects as CONFIG_INVALID naming the path and the cause (execq-bind-error.ts).
 */
export function bindExecqSocket(
  path: string,
  onMessage: (text: string) => void,
  onError: (err: Error) => void,
  gate?: IntakeGate,
): Promise<ExecqSocket> {
  const tooLong = socketPathError(path, 'the execq socket');
  if (tooLong !== undefined) {
    return Promise.reject(tooLong);
  }
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    rmSync(path, { force: true });
  } catch (err: unknown) {
    return Promise.reject(execqBindFailure(err, path));
  }
  const backlog = new Backlog(
    () => socket.fd,
    onMessage,
    (err) => {
      onError(err instanceof Error ? err : new Error(String(err)));
    },
    gate,
  );
  const socket: UnixDgramSocket = unixDgram().createSocket('unix_dgram', (buf: Buffer) => {
    backlog.delivered(buf.toString('utf8'));
  });
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void => {
      socket.close(); // its handle would keep the process alive after a failed start
      reject(execqBindFailure(err, path));
    };
    socket.once('error', failed);
    socket.once('listening', () => {
      socket.off('error', failed);
      socket.on('error', (err: Error) => {
        onError(dgramErrno(err));
      });
      try {
        chmodSync(path, 0o660);
      } catch (err: unknown) {
        failed(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      resolve({
        path,
        poll: backlog.poll,
        close: () => {
          backlog.open = false; // nothing more is read; what is held is handed over
          backlog.flush();
          socket.close();
          rmSync(path, { force: true });
        },
      });
    });
    socket.bind(path);
  });
}

/** errno values unix-dgram reports (negated) when the receiver's queue is full. */
const QUEUE_FULL = new Set([-11, 1]);

function sendOnce(path: string, buf: Buffer): Promise<Error | undefined> {
  const socket = unixDgram().createSocket('unix_dgram');
  return new Promise((resolve) => {
    socket.send(buf, 0, buf.length, path, (err?: Error) => {
      socket.close();
      resolve(err);
    });
  });
}

/**
 * Sends one datagram to an execq socket (the CLI's and tests' client side). A full receive queue
 * (EAGAIN, Wazuh's "(1322): Socket busy") is retried with a growing pause, up to `attempts` times.
 */
export async function sendToExecq(path: string, text: string, attempts = 50): Promise<void> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 1; ; i++) {
    const err = await sendOnce(path, buf);
    const code = (err as { code?: unknown } | undefined)?.code;
    if (!err) {
      return;
    }
    if (i >= attempts || typeof code !== 'number' || !QUEUE_FULL.has(code)) {
      throw err;
    }
    await new Promise((r) => setTimeout(r, Math.min(5 * i, 100)));
  }
}
