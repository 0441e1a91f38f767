/**
 * Serves the local API on `<home>/var/api.sock` (mode 0600) and optionally on a loopback TCP port,
 * with a fresh token in `<home>/var/api.token`.
 */
import { chmodSync, rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildLocalApi } from '../../api/build-local-api.js';
import { writeApiToken } from '../../api/api-token.js';
import type { AgentPaths } from '../../agent/agent-paths.js';
import type { LocalService } from '../../local/local-service.js';
import type { DaemonOptions } from './daemon-options.js';
import { assertOwnSocket } from '../../home/trusted-socket.js';

export interface ServedApi {
  readonly apps: readonly FastifyInstance[];
  readonly tcpAddress: string | undefined;
  close(): Promise<void>;
}

export async function serveLocalApi(
  paths: AgentPaths,
  service: LocalService,
  listen: DaemonOptions['listen'],
): Promise<ServedApi> {
  const token = writeApiToken(paths.apiToken);
  const make = (): FastifyInstance => buildLocalApi({ service, token, now: Date.now });
  const unixApp = make();
  // Unlinking never follows a link; the home was checked (only its owner can change var/), and
  // clients check that the socket and the token have the same owner before sending the token.
  rmSync(paths.apiSocket, { force: true });
  await unixApp.listen({ path: paths.apiSocket });
  assertOwnSocket(paths.apiSocket);
  chmodSync(paths.apiSocket, 0o600);
  const apps = [unixApp];
  let tcpAddress: string | undefined;
  if (listen) {
    const tcpApp = make();
    tcpAddress = await tcpApp.listen({ host: listen.host, port: listen.port });
    apps.push(tcpApp);
  }
  return {
    apps,
    tcpAddress,
    close: async () => {
      await Promise.all(apps.map((a) => a.close()));
      rmSync(paths.apiSocket, { force: true });
    },
  };
}
