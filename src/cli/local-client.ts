/**
 * The typed client of a running daemon's local API, over `<home>/var/api.sock` with the token from
 * `<home>/var/api.token`. The CLI never opens the daemon's store itself.
 */
import { request } from 'node:http';
import { agentPaths } from '../agent/agent-paths.js';
import { readApiToken } from '../api/api-token.js';
import { assertTrustedSocket } from '../home/trusted-socket.js';
import { ErrorCode, RiposteError, isRiposteError } from '../protocol/error-codes.js';
import { errorFromResponse } from './remote-client.js';

export interface LocalClient {
  call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

function unreachable(home: string, why: string): RiposteError {
  return new RiposteError(ErrorCode.DAEMON_UNREACHABLE, `Cannot reach the daemon in "${home}": ${why}`);
}

export function localClient(home: string): LocalClient {
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
  return {
    call: <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
      new Promise<T>((resolve, reject) => {
        // Checked before every request: the token must only reach the daemon that wrote it.
        assertTrustedSocket(paths.apiSocket, paths.apiToken);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          {
            socketPath: paths.apiSocket,
            path,
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const status = res.statusCode ?? 500;
              if (status >= 200 && status < 300) {
                resolve(JSON.parse(text) as T);
              } else {
                reject(errorFromResponse(status, text, 'The daemon'));
              }
            });
          },
        );
        req.on('error', (err) => {
          reject(unreachable(home, err.message));
        });
        req.end(payload);
      }),
  };
}
