/**
 * Serves an HTTP request handler on the home's API socket (`<home>/var/api.sock`, mode 0600) and,
 * with `--listen`, on a loopback TCP port too (plain HTTP: loopback only, see daemon-options.ts).
 * The caller holds the home lock, so removing a leftover socket file here never takes over another
 * daemon's socket.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertOwnSocket } from '../../home/trusted-socket.js';
import type { DaemonOptions } from './daemon-options.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ServedApi {
  /** `http://127.0.0.1:PORT` when `--listen` was given. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

function listenOn(server: Server, where: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });
}

export async function serveApi(
  handle: RequestHandler,
  socketPath: string,
  listen: DaemonOptions['listen'],
): Promise<ServedApi> {
  const servers: Server[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map(closeServer));
    rmSync(socketPath, { force: true });
  };
  try {
    const unix = createServer(handle);
    servers.push(unix);
    rmSync(socketPath, { force: true });
    await listenOn(unix, { path: socketPath });
    // Unlinking above never follows a link; the home was checked (only its owner can change var/),
    // and clients check that the socket and the token have the same owner before sending the token.
    assertOwnSocket(socketPath);
    chmodSync(socketPath, 0o600);
    let url: string | undefined;
    if (listen) {
      const tcp = createServer(handle);
      servers.push(tcp);
      await listenOn(tcp, { host: listen.host, port: listen.port });
      const a = tcp.address() as AddressInfo;
      url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    }
    return { url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
