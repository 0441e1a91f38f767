/**
 * Sends Wazuh AR datagrams to a daemon's execq socket as fast as the socket takes them, over one
 * unix datagram socket (a full receive queue is waited out, as Wazuh's sender retries).
 */
import unixDgram from 'unix-dgram';

/** errno values unix-dgram reports (negated) when the receiver's queue is full. */
const QUEUE_FULL = new Set([-11, 1]);

/** Sends one datagram, waiting out a full queue. */
async function sendWithRetry(send: (buf: Buffer) => Promise<number | undefined>, buf: Buffer): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const code = await send(buf);
    if (code === undefined) {
      return;
    }
    if (!QUEUE_FULL.has(code) || attempt > 100_000) {
      throw new Error(`execq send failed (${code})`);
    }
    // The queue holds only net.unix.max_dgram_qlen (10 by default) datagrams, so the daemon's
    // reading rate paces the sender. A 1 ms pause, not a busy yield: on 2 CPUs a spinning sender
    // takes CPU from the daemon it measures (measured: 31 s instead of 15 s for 10,000).
    await new Promise((r) => setTimeout(r, 1));
  }
}

export async function sendAll(execq: string, messages: readonly string[]): Promise<void> {
  const socket = unixDgram.createSocket('unix_dgram');
  const sendOne = (buf: Buffer): Promise<number | undefined> =>
    new Promise((resolve) => {
      socket.send(buf, 0, buf.length, execq, (err?: Error) => {
        const code = (err as { code?: unknown } | undefined)?.code;
        resolve(err === undefined ? undefined : typeof code === 'number' ? code : -1);
      });
    });
  try {
    for (const m of messages) {
      await sendWithRetry(sendOne, Buffer.from(m, 'utf8'));
    }
  } finally {
    socket.close();
  }
}
