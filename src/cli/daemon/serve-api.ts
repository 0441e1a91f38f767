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
import type { DaemonLog } from '../../log/daemon-log.js';
import { listenFailure, listenServer } from '../../net/listen-server.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ServedApi {
  /** `http://127.0.0.1:PORT` when `--listen` was given. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });
}

/**
 * Removes a leftover socket file at `path`; what the operator must fix (a directory in the way, a
 * directory it cannot write) rejects as the listen itself would: CONFIG_INVALID naming the socket.
 */
function removeStale(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch (err: unknown) {
    throw listenFailure(
      err instanceof Error ? err : new Error(String(err)),
      { path },
      'the local API socket',
    );
  }
}

export async function serveApi(
  handle: RequestHandler,
  socketPath: string,
  listen: DaemonOptions['listen'],
  log: Pick<DaemonLog, 'warn'>,
): Promise<ServedApi> {
  const onError = (err: Error): void => {
    log.warn(`Local API: ${err.message}`);
  };
  const servers: Server[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map(closeServer));
    rmSync(socketPath, { force: true });
  };
  try {
    const unix = createServer(handle);
    servers.push(unix);
    removeStale(socketPath);
    await listenServer(unix, { path: socketPath }, 'the local API socket', onError);
    // Unlinking above never follows a link; the home was checked (only its owner can change var/),
    // and clients check that the socket and the token have the same owner before sending the token.
    assertOwnSocket(socketPath);
    chmodSync(socketPath, 0o600);
    let url: string | undefined;
    if (listen) {
      const tcp = createServer(handle);
      servers.push(tcp);
      await listenServer(tcp, { host: listen.host, port: listen.port }, 'the local API (--listen)', onError);
      const a = tcp.address() as AddressInfo;
      url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    }
    return { url, close };
  } catch (err) {
    // What is in the way of the socket stays (it is not this daemon's): only its servers close.
    await close().catch(() => undefined);
    throw err;
  }
}
