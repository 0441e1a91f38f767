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
 */
import { chmodSync, mkdirSync, readSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { createSocket, UnixDgramSocket } from 'unix-dgram';

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

export interface ExecqSocket {
  readonly path: string;
  close(): void;
}

/** Most datagrams read in one event-loop turn (the rest wait for the next turn: timers, API). */
export const MAX_READS_PER_TURN = 256;
/** Wazuh's OS_MAXSTR, the largest message; unix-dgram reads with the same buffer size. */
const MAX_DATAGRAM_BYTES = 65_536;

const scratch = Buffer.allocUnsafe(MAX_DATAGRAM_BYTES);

/**
 * Reads the datagrams queued on non-blocking `fd` after the one unix-dgram delivered, until the
 * queue is empty (EAGAIN) or `max` were read.
 */
function drainQueued(fd: number, max: number, onMessage: (text: string) => void): void {
  for (let i = 0; i < max && fd >= 0; i++) {
    let n: number;
    try {
      n = readSync(fd, scratch, 0, scratch.length, null);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') {
        return;
      }
      throw err;
    }
    onMessage(scratch.toString('utf8', 0, n));
  }
}

/** Binds the socket (replacing a stale one) and calls `onMessage` with each datagram's text. */
export function bindExecqSocket(
  path: string,
  onMessage: (text: string) => void,
  onError: (err: Error) => void,
): Promise<ExecqSocket> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  rmSync(path, { force: true });
  const socket: UnixDgramSocket = unixDgram().createSocket('unix_dgram', (buf: Buffer) => {
    onMessage(buf.toString('utf8'));
    try {
      drainQueued(socket.fd, MAX_READS_PER_TURN - 1, onMessage);
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('listening', () => {
      socket.off('error', reject);
      socket.on('error', onError);
      chmodSync(path, 0o660);
      resolve({
        path,
        close: () => {
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
