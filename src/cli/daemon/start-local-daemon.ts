/**
 * Starts an agent runtime with its local API, and, for `riposte start`, the manager half: the
 * ar.conf written from the config, alert ingestion from POST /alerts and from a tailed alerts.json
 * whose offset lives in the agent's store.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startAgentRuntime } from '../../agent/agent-runtime.js';
import { agentPaths } from '../../agent/agent-paths.js';
import { loadConfig } from '../../config/load-config.js';
import type { AgentArSettings, Config } from '../../core/config-model.js';
import { renderArConf } from '../../core/ar-conf.js';
import { createAlertsTailer, type AlertsTailer, type TailPosition } from '../../ingest/alerts-file-tailer.js';
import { LocalService } from '../../local/local-service.js';
import { startAgentConnector, type AgentConnector } from '../../link/agent-connector.js';
import { readAgentLinkConfig } from '../../link/agent-link-config.js';
import type { DaemonOptions } from './daemon-options.js';
import type { RunningDaemon } from './run-daemon.js';
import { serveLocalApi } from './serve-local-api.js';
import { assertSafeHome } from '../../home/home-safety.js';

export interface LocalDaemonSpec {
  readonly options: DaemonOptions;
  readonly agentId: string;
  /** `riposte start`: the manager config file; absent for `riposte agent`. */
  readonly configPath?: string;
  /** `riposte start --alerts FILE`. */
  readonly alertsFile?: string;
  readonly print: (line: string) => void;
}

async function agentSettings(spec: LocalDaemonSpec): Promise<{ settings: AgentArSettings; config?: Config }> {
  assertSafeHome(spec.options.home); // before anything is written there
  if (spec.configPath !== undefined) {
    const config = await loadConfig(spec.configPath, 'manager');
    const paths = agentPaths(resolve(spec.options.home));
    mkdirSync(dirname(paths.arConf), { recursive: true, mode: 0o750 });
    writeFileSync(paths.arConf, renderArConf(config), { mode: 0o640 });
    return { settings: config.agent, config };
  }
  const ossecConf = agentPaths(resolve(spec.options.home)).ossecConf;
  if (!existsSync(ossecConf)) {
    return { settings: { disabled: false, repeatedOffenders: [] } };
  }
  return { settings: (await loadConfig(ossecConf, 'agent')).agent };
}

function positionKey(file: string): string {
  return `alerts_position:${resolve(file)}`;
}

function pickRuntimeOptions(o: DaemonOptions) {
  const { limits, logLevel, bootIdFile, revertOnStop, poolSize, dryRun } = o;
  return { limits, logLevel, bootIdFile, revertOnStop, poolSize, dryRun };
}

export async function startLocalDaemon(spec: LocalDaemonSpec): Promise<RunningDaemon> {
  const { settings, config } = await agentSettings(spec);
  const o = spec.options;
  // A bare agent that was enrolled takes its id from the enrollment and links to its manager.
  const enrolled = config ? undefined : readAgentLinkConfig(resolve(o.home));
  const agentId = enrolled?.id ?? spec.agentId;
  let connector: AgentConnector | undefined;
  const runtime = await startAgentRuntime({
    home: o.home,
    agentId,
    onExecution: (id) => {
      connector?.notifyExecution(id);
    },
    settings,
    ...pickRuntimeOptions(o),
  });
  if (enrolled) {
    connector = startAgentConnector(runtime, runtime.paths.home, { disabled: settings.disabled });
  }
  const service = new LocalService({ runtime, agentId, ...(config ? { config } : {}) });
  const api = await serveLocalApi(runtime.paths, service, o.listen);
  let tailer: AlertsTailer | undefined;
  if (spec.alertsFile !== undefined && config) {
    const key = positionKey(spec.alertsFile);
    tailer = createAlertsTailer({
      path: spec.alertsFile,
      loadPosition: () => {
        const saved = runtime.store.getSetting(key);
        return saved === undefined ? undefined : (JSON.parse(saved) as TailPosition);
      },
      savePosition: (pos) => {
        runtime.store.setSetting(key, JSON.stringify(pos));
      },
      onLines: (lines) => {
        service.ingest(lines);
      },
      onError: (err) => {
        runtime.log.error(`Alerts file '${spec.alertsFile ?? ''}': ${err.message}`);
      },
    });
    tailer.start();
  }
  spec.print(
    `riposte: ${config ? 'manager + local agent' : 'agent'} ${agentId} running in ${runtime.paths.home}` +
      ` (API: ${runtime.paths.apiSocket}${api.tcpAddress ? `, ${api.tcpAddress}` : ''}` +
      (spec.alertsFile !== undefined ? `; tailing ${spec.alertsFile}` : '') +
      `${enrolled ? `; manager ${enrolled.manager}` : ''})`,
  );
  return {
    stop: async () => {
      await connector?.stop();
      await tailer?.stop();
      await api.close();
      await runtime.stop();
    },
  };
}
