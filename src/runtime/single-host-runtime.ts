/**
 * Composition root of `riposte start`: the manager host (manager-host.ts) with its in-process
 * agent 000, on one host. No TLS link, no enrollment, no network port: every location resolves to
 * agent 000, and alerts reach it as durable orders over the same link protocol a remote agent uses.
 * The REST API is attached by the caller (src/cli/daemon), which serves it on the home's socket.
 *
 * Agent 000 runs on its own worker thread (local-agent-thread.ts): the manager's ingest and the
 * agent's executions use both cores. RIPOSTE_LOCAL_AGENT_THREAD=0 runs it on the main thread
 * instead (the link over in-process calls: for comparison, and where threads are unwanted).
 */
import type { DaemonLog } from '../log/daemon-log.js';
import type { AlertsTailer } from '../ingest/alerts-file-tailer.js';
import { createManagerService } from '../manager/manager-core.js';
import {
  openManagerHost,
  startLocalAgent,
  startScheduler,
  startTailer,
  type ManagerHost,
  type ManagerHostOptions,
} from './manager-host.js';
import { startLocalAgentThread } from './local-agent-thread.js';
import type { ManagerService } from '../manager/manager-service.js';
import { Opened } from './opened.js';

export type SingleHostOptions = ManagerHostOptions;

export interface SingleHostRuntime {
  readonly service: ManagerService;
  readonly home: string;
  readonly log: DaemonLog;
  stop(): Promise<void>;
}

/**
 * Starts manager + agent 000. A step that fails closes what the earlier ones opened (Opened) before
 * the error is thrown. @throws RiposteError CONFIG_* when ossec.conf cannot be used.
 */
export async function startSingleHostRuntime(opts: SingleHostOptions): Promise<SingleHostRuntime> {
  const host = await openManagerHost(opts, true, 'riposte');
  const opened = new Opened(host.log);
  opened.add(() => host.store.close());
  opened.add(() => host.handler.drain());
  return opened.guard(() => startOnHost(opts, host, opened));
}

async function startOnHost(
  opts: SingleHostOptions,
  host: ManagerHost,
  opened: Opened,
): Promise<SingleHostRuntime> {
  const service = createManagerService({
    ctx: host.ctx,
    enrollment: undefined,
    listeners: host.listeners,
    startedAt: Date.now(),
    linkBacklog: () => host.handler.backlog(),
  });
  const scheduler = startScheduler(opts, host);
  opened.add(() => {
    scheduler.stop();
  });
  const local = await startAgent000(opts, host);
  opened.add(() => local.stop());
  const tailer: AlertsTailer | undefined =
    opts.alertsFile !== undefined
      ? await startTailer({ ...opts, alertsFile: opts.alertsFile }, host, service)
      : undefined;
  return {
    service,
    home: host.home,
    log: host.log,
    stop: async () => {
      await tailer?.stop();
      scheduler.stop();
      await local.stop();
      await host.handler.drain();
      await host.store.close();
      host.log.info('Stopped.');
      host.log.flush();
    },
  };
}

/** Agent 000 on its worker thread, or on this one with RIPOSTE_LOCAL_AGENT_THREAD=0. */
async function startAgent000(opts: SingleHostOptions, host: ManagerHost): Promise<{ stop(): Promise<void> }> {
  if (process.env['RIPOSTE_LOCAL_AGENT_THREAD'] !== '0') {
    return startLocalAgentThread(opts, host);
  }
  const local = await startLocalAgent(opts, host);
  return {
    stop: async () => {
      local.link.close();
      await local.runtime.stop();
    },
  };
}
