/**
 * Sends Wazuh AR datagrams to a daemon's execq socket as fast as the socket takes them, over one
 * connected unix datagram socket. The receive queue holds only net.unix.max_dgram_qlen (10 by
 * default) datagrams, so the daemon's reading rate paces the sender: when the queue is full the
 * sender waits until the kernel reports the socket writable again (the daemon took a datagram),
 * as a blocking send(2) would, neither spinning (on 2 CPUs that takes CPU from the daemon it
 * measures) nor sleeping a fixed time (which leaves the daemon idle once it has drained the queue).
 */
import unixDgram from 'unix-dgram';

export function sendAll(execq: string, messages: readonly string[]): Promise<void> {
  const socket = unixDgram.createSocket('unix_dgram');
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let failed = false;
    const fail = (err: Error): void => {
      if (!failed) {
        failed = true;
        socket.close();
        reject(err);
      }
    };
    // Sends until the queue is full (then 'writable' calls pump again) or everything is sent.
    const pump = (): void => {
      while (next < messages.length && !failed) {
        let congested = false;
        socket.send(Buffer.from(messages[next] ?? '', 'utf8'), (err?: Error) => {
          if (err?.message === 'congestion') {
            congested = true;
          } else if (err !== undefined) {
            fail(err);
          }
        });
        if (congested) {
          return;
        }
        next++;
      }
      if (!failed) {
        socket.close();
        resolve();
      }
    };
    socket.on('error', fail);
    socket.on('writable', pump);
    socket.on('connect', pump);
    socket.connect(execq);
  });
}
