/**
 * The execq intake: a unix datagram socket at `<home>/queue/alerts/execq`, as wazuh-execd binds
 * (reference §2.1), so Wazuh's own agent daemon (or anything that writes there) can feed Riposte.
 * One datagram = one message (at most 65536 bytes, Wazuh's OS_MAXSTR). The socket is created
 * mode 0660 so only the daemon's user and group can write to it.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import unixDgram, { type UnixDgramSocket } from 'unix-dgram';

export interface ExecqSocket {
  readonly path: string;
  close(): void;
}

/** Binds the socket (replacing a stale one) and calls `onMessage` with each datagram's text. */
export function bindExecqSocket(
  path: string,
  onMessage: (text: string) => void,
  onError: (err: Error) => void,
): Promise<ExecqSocket> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  rmSync(path, { force: true });
  const socket: UnixDgramSocket = unixDgram.createSocket('unix_dgram', (buf: Buffer) => {
    onMessage(buf.toString('utf8'));
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

/** Sends one datagram to an execq socket (the CLI's and tests' client side). */
export function sendToExecq(path: string, text: string): Promise<void> {
  const socket = unixDgram.createSocket('unix_dgram');
  const buf = Buffer.from(text, 'utf8');
  return new Promise((resolve, reject) => {
    socket.send(buf, 0, buf.length, path, (err?: Error) => {
      socket.close();
      if (err) {
        reject(err);
      } else {
        resolve();
      }
    });
  });
}
