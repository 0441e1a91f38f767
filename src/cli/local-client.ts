/**
 * The client of a daemon's API on this host: `<home>/var/api.sock` with the token from
 * `<home>/var/api.token`. It is a {@link RemoteClient}: `riposte ar ... --home DIR` runs exactly the
 * code of `--manager URL`, and every daemon (`start`, `agent`) answers the same shapes. The CLI
 * never opens a daemon's store itself.
 */
import { request, type RequestOptions } from 'node:http';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import { agentPaths } from '../agent/agent-paths.js';
import { readApiToken } from '../api/read-api-token.js';
import { assertTrustedSocket } from '../home/trusted-socket.js';
import { ErrorCode, RiposteError, isRiposteError } from '../protocol/error-codes.js';
import { readAnswer, type HttpMethod, type RemoteClient } from './remote-client.js';

/**
 * A request on the unix socket without an http.Agent: one connection per call (the CLI makes one or
 * two), and no Agent bookkeeping (its server-name check compiles Node's IPv6 regex: ~10 ms of a
 * CLI call's start-up).
 */
function onSocket(socketPath: string, options: RequestOptions): RequestOptions {
  return { ...options, createConnection: () => connect(socketPath) };
}

function unreachable(home: string, why: string): RiposteError {
  return new RiposteError(ErrorCode.DAEMON_UNREACHABLE, `Cannot reach the daemon in "${home}": ${why}`);
}

/** @throws RiposteError DAEMON_UNREACHABLE when the token file cannot be read. */
export function localClient(home: string): RemoteClient {
  const paths = agentPaths(home);
  let token: string;
  try {
    token = readApiToken(paths.apiToken);
  } catch (err) {
    if (isRiposteError(err)) {
      throw err;
    }
    throw unreachable(home, `no readable ${paths.apiToken} (is the daemon running, and are you its user?)`);
  }
  const call = <T>(method: HttpMethod, path: string, body?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      // Checked before every request: the token must only reach the daemon that wrote it.
      assertTrustedSocket(paths.apiSocket, paths.apiToken);
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(payload !== undefined
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {}),
      };
      const req = request(onSocket(paths.apiSocket, { path, method, headers }), (res) => {
        readAnswer(req, res, 'The daemon', {
          resolve: (v) => {
            resolve(v as T);
          },
          reject,
        });
      });
      req.on('error', (err) => {
        reject(unreachable(home, err.message));
      });
      req.end(payload);
    });
  /** `ar history --follow`: the live feed (Server-Sent Events), body once the answer is 200. */
  const stream = (path: string): Promise<Readable> =>
    new Promise<Readable>((resolve, reject) => {
      assertTrustedSocket(paths.apiSocket, paths.apiToken);
      const headers = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
      const req = request(onSocket(paths.apiSocket, { path, method: 'GET', headers }), (res) => {
        if (res.statusCode === 200) {
          resolve(res);
          return;
        }
        readAnswer(req, res, 'The daemon', { resolve: () => undefined, reject });
      });
      req.on('error', (err) => {
        reject(unreachable(home, err.message));
      });
      req.end();
    });
  return { url: new URL(`unix:${paths.apiSocket}`), call, stream };
}
