/**
 * `riposte start`: the manager runtime with its in-process agent 000 on one host
 * (manager/single-host-runtime.ts), and the manager's REST API on `<home>/var/api.sock` (mode 0600;
 * the admin token in `<home>/var/api.token`) and, with `--listen`, on a loopback port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { agentPaths } from '../../agent/agent-paths.js';
import type { StartAt } from '../../ingest/alerts-file-tailer.js';
import { createManagerApi } from '../../manager-api/create-manager-api.js';
import { startSingleHostRuntime, type SingleHostRuntime } from '../../runtime/single-host-runtime.js';
import { Opened } from '../../runtime/opened.js';
import type { DaemonOptions } from './daemon-options.js';
import type { RunningDaemon } from './run-daemon.js';
import { serveApi } from './serve-api.js';

export interface SingleHostSpec {
  readonly options: DaemonOptions;
  readonly configPath: string;
  readonly alertsFile?: string;
  readonly alertsStartAt?: StartAt;
  readonly print: (line: string) => void;
}

export async function startSingleHost(spec: SingleHostSpec): Promise<RunningDaemon> {
  const o = spec.options;
  const home = resolve(o.home);
  const runtime = await startSingleHostRuntime({
    configPath: spec.configPath,
    home,
    logLevel: o.logLevel,
    limits: o.limits,
    bootIdFile: o.bootIdFile,
    poolSize: o.poolSize,
    revertOnStop: o.revertOnStop,
    dryRun: o.dryRun,
    ...(spec.alertsFile !== undefined ? { alertsFile: spec.alertsFile } : {}),
    ...(spec.alertsStartAt !== undefined ? { alertsStartAt: spec.alertsStartAt } : {}),
  });
  const opened = new Opened(runtime.log);
  opened.add(() => runtime.stop());
  return opened.guard(() => serveSingleHost(spec, runtime, opened));
}

/** The API on the home's socket (and `--listen`), then the "running" line. */
async function serveSingleHost(
  spec: SingleHostSpec,
  runtime: SingleHostRuntime,
  opened: Opened,
): Promise<RunningDaemon> {
  const paths = agentPaths(runtime.home);
  const api = await createManagerApi({
    service: runtime.service,
    home: runtime.home,
    adminTokenFile: paths.apiToken,
  });
  opened.add(() => api.close());
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    api.handle(req, res);
  };
  const served = await serveApi(handle, paths.apiSocket, spec.options.listen, runtime.log);
  spec.print(
    `riposte: manager + local agent 000 running in ${runtime.home}` +
      ` (API: ${paths.apiSocket}${served.url !== undefined ? `, ${served.url}` : ''}` +
      `${spec.alertsFile !== undefined ? `; tailing ${spec.alertsFile}` : ''})`,
  );
  if (served.url !== undefined) {
    spec.print(`API and console: ${served.url} (token: ${paths.apiToken})`);
  }
  return {
    stop: async () => {
      await served.close();
      await api.close();
      await runtime.stop();
    },
  };
}
