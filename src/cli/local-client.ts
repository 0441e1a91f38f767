/**
 * The client of a daemon's API on this host: `<home>/var/api.sock` with the token from
 * `<home>/var/api.token`. It is a {@link RemoteClient}: `riposte ar ... --home DIR` runs exactly the
 * code of `--manager URL`, and every daemon (`start`, `agent`) answers the same shapes. The CLI
 * never opens a daemon's store itself.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { agentPaths } from '../agent/agent-paths.js';
import { readApiToken } from '../api/api-token.js';
import { assertTrustedSocket } from '../home/trusted-socket.js';
import { ErrorCode, RiposteError, isRiposteError } from '../protocol/error-codes.js';
import { errorFromResponse, type HttpMethod, type RemoteClient } from './remote-client.js';

/** Largest answer read: 32 MiB (as the remote client). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

function unreachable(home: string, why: string): RiposteError {
  return new RiposteError(ErrorCode.DAEMON_UNREACHABLE, `Cannot reach the daemon in "${home}": ${why}`);
}

/** Reads a whole answer (bounded) and settles with its JSON, or the error it carries. */
function readAnswer(
  req: ClientRequest,
  res: IncomingMessage,
  resolve: (v: unknown) => void,
  reject: (e: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_RESPONSE_BYTES) {
      req.destroy(new Error('answer larger than 32 MiB'));
      return;
    }
    chunks.push(c);
  });
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 500;
    if (status < 200 || status >= 300) {
      reject(errorFromResponse(status, text, 'The daemon'));
      return;
    }
    try {
      resolve(text === '' ? undefined : JSON.parse(text));
    } catch {
      reject(new RiposteError(ErrorCode.INTERNAL, `The daemon answered invalid JSON: ${text.slice(0, 200)}`));
    }
  });
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
      const req = request({ socketPath: paths.apiSocket, path, method, headers }, (res) => {
        readAnswer(
          req,
          res,
          (v) => {
            resolve(v as T);
          },
          reject,
        );
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
      const req = request({ socketPath: paths.apiSocket, path, method: 'GET', headers }, (res) => {
        if (res.statusCode === 200) {
          resolve(res);
          return;
        }
        readAnswer(req, res, () => undefined, reject);
      });
      req.on('error', (err) => {
        reject(unreachable(home, err.message));
      });
      req.end();
    });
  return { url: new URL(`unix:${paths.apiSocket}`), call, stream };
}
