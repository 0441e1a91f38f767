/**
 * `riposte agent`: the agent runtime, its local API (agent verbs only, see local/agent-verbs.ts)
 * and, when the home was enrolled, the link to its manager.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startAgentRuntime, type AgentRuntime } from '../../agent/agent-runtime.js';
import { agentPaths } from '../../agent/agent-paths.js';
import type { AgentArSettings } from '../../core/config-model.js';
import type { AgentVerbs } from '../../local/agent-verbs.js';
import type { AgentConnector } from '../../link/agent-connector.js';
import { readAgentLinkConfig, type AgentLinkConfig } from '../../link/agent-link-config.js';
import { assertSafeHome } from '../../home/home-safety.js';
import { Opened } from '../../runtime/opened.js';
import type { DaemonOptions } from './daemon-options.js';
import type { RunningDaemon } from './run-daemon.js';

export interface AgentDaemonSpec {
  readonly options: DaemonOptions;
  /** The id when the home is not enrolled. */
  readonly agentId: string;
  readonly print: (line: string) => void;
  /** The store's quick_check started ahead (commands/agent.ts): see AgentRuntimeOptions. */
  readonly storeCheckedAhead: Promise<boolean>;
}

async function agentSettings(home: string): Promise<AgentArSettings> {
  const ossecConf = agentPaths(home).ossecConf;
  if (!existsSync(ossecConf)) {
    return { disabled: false, repeatedOffenders: [] };
  }
  const { loadConfig } = await import('../../config/load-config.js');
  return (await loadConfig(ossecConf, 'agent')).agent;
}

/** The modules of the local API: the server, its routes, the verbs behind them, its token file. */
async function importApi() {
  const [{ buildAgentApi }, { AgentVerbs }, { writeApiToken }, { serveApi }] = await Promise.all([
    import('../../api/build-agent-api.js'),
    import('../../local/agent-verbs.js'),
    import('../../api/api-token.js'),
    import('./serve-api.js'),
  ]);
  return { buildAgentApi, AgentVerbs, writeApiToken, serveApi };
}

type ApiModule = Awaited<ReturnType<typeof importApi>>;

/** Imports the API's modules on the first call (later calls share that import). */
function apiLoader(): () => Promise<ApiModule> {
  let loading: Promise<ApiModule> | undefined;
  return () => {
    if (loading === undefined) {
      loading = importApi();
      // Settled here too, so a failed start before it is awaited leaves no unhandled rejection.
      loading.catch(() => undefined);
    }
    return loading;
  };
}

/**
 * Start-up cost (issue #12): modules that "running" does not need before the runtime has started
 * are imported on demand. The API's modules (fastify, the agent verbs, the HTTP server) load while the runtime's re-apply after a
 * reboot waits for its nft transaction (their evaluation, one synchronous step of ~0.2 s, no
 * longer runs before that transaction starts), or after the restore; the XML config reader only when there
 * is an ossec.conf; the manager link (ws) only when the home is enrolled.
 */
export async function startAgentDaemon(spec: AgentDaemonSpec): Promise<RunningDaemon> {
  const o = spec.options;
  const home = resolve(o.home);
  assertSafeHome(home); // before anything is written there
  const [loadApi, settings] = [apiLoader(), await agentSettings(home)];
  const enrolled = readAgentLinkConfig(home); // enrolled: the id and manager link of the enrollment
  const agentId = enrolled?.id ?? spec.agentId;
  const hooks: Hooks = {}; // set once the runtime has started
  const runtime = await startAgentRuntime({
    home,
    agentId,
    arConfFromManager: enrolled !== undefined,
    onExecution: (id) => {
      hooks.connector?.notifyExecution(id);
      hooks.verbs?.executionRecorded(id);
    },
    settings,
    limits: o.limits,
    logLevel: o.logLevel,
    bootIdFile: o.bootIdFile,
    revertOnStop: o.revertOnStop,
    poolSize: o.poolSize,
    dryRun: o.dryRun,
    whileRestoring: () => void loadApi(),
    storeCheckedAhead: spec.storeCheckedAhead,
  });
  // A later step that fails (the API's port in use, say) stops the runtime again: a failed start
  // leaves no timer or socket that would keep this process alive without its home's lock.
  const opened = new Opened(runtime.log);
  opened.add(() => runtime.stop());
  return opened.guard(() =>
    serveAgent({ spec, runtime, agentId, enrolled, settings, loadApi, hooks, opened }),
  );
}

/** What the runtime's execution hook reaches, once they exist. */
interface Hooks {
  connector?: AgentConnector | undefined;
  verbs?: AgentVerbs;
}

interface ServeArgs {
  readonly spec: AgentDaemonSpec;
  readonly runtime: AgentRuntime;
  readonly agentId: string;
  readonly enrolled: AgentLinkConfig | undefined;
  readonly settings: AgentArSettings;
  readonly loadApi: () => Promise<ApiModule>;
  readonly hooks: Hooks;
  readonly opened: Opened;
}

/** The link to the manager when enrolled, the local API, then the "running" line. */
async function serveAgent(a: ServeArgs): Promise<RunningDaemon> {
  const { runtime, agentId, enrolled, hooks, opened } = a;
  if (enrolled) {
    const { startAgentConnector } = await import('../../link/agent-connector.js');
    hooks.connector = startAgentConnector(runtime, runtime.paths.home, { disabled: a.settings.disabled });
    opened.add(() => hooks.connector?.stop());
  }
  const { buildAgentApi, AgentVerbs, writeApiToken, serveApi } = await a.loadApi();
  hooks.verbs = new AgentVerbs(runtime, agentId);
  const app = buildAgentApi({
    verbs: hooks.verbs,
    token: writeApiToken(runtime.paths.apiToken),
    log: runtime.log,
  });
  opened.add(() => app.close());
  await app.ready();
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    app.routing(req, res);
  };
  const api = await serveApi(route, runtime.paths.apiSocket, a.spec.options.listen, runtime.log);
  a.spec.print(
    `riposte: agent ${agentId} running in ${runtime.paths.home}` +
      ` (API: ${runtime.paths.apiSocket}${api.url !== undefined ? `, ${api.url}` : ''}` +
      `${enrolled ? `; manager ${enrolled.managers.join(',')}` : ''})`,
  );
  return {
    stop: async () => {
      await hooks.connector?.stop();
      await api.close();
      await app.close();
      await runtime.stop();
    },
  };
}
