/**
 * Entry of the worker thread that runs agent 000 for `riposte start` (local-agent-thread.ts starts
 * it): the agent runtime (its own store connection, execd, spawn workers) and its half of the
 * link, on this thread's event loop, so the manager's ingest and the agent's executions run in
 * parallel. The link frames travel on `workerData.link` (link/port-link.ts); the parent port
 * carries the control messages of local-agent-protocol.ts, the execq datagrams among them (the
 * main thread owns that socket).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startAgentRuntime, type AgentRuntime } from '../agent/agent-runtime.js';
import type { ExecqSocket } from '../agent/execq-socket.js';
import { reopenDaemonLogs } from '../log/daemon-log.js';
import { onRejection, type RejectionCount } from '../protocol/input-rejections.js';
import { AgentLinkSession } from '../link/agent-link-session.js';
import { RIPOSTE_VERSION } from '../link/agent-connector.js';
import { connectPortAgentSide, type PortLink } from '../link/port-link.js';
import { LOCAL_AGENT_ID } from '../manager/manager-context.js';
import {
  threadError,
  type FromAgentThread,
  type LocalAgentInit,
  type ToAgentThread,
} from './local-agent-protocol.js';

if (parentPort === null) {
  throw new Error('local-agent-worker.js runs as a worker thread only');
}
const control = parentPort;
const post = (msg: FromAgentThread): void => {
  control.postMessage(msg);
};
const init = workerData as LocalAgentInit;

/**
 * Inputs this thread refuses (execq's too-deep, invalid, rate-limited...) are counted in this
 * thread's copy of input-rejections.ts, which no metrics read: they are sent to the main thread,
 * whose metrics render them, once per event-loop turn.
 */
let refused = new Map<string, RejectionCount>();
onRejection((entry, reason, n) => {
  const k = `${entry}\u0000${reason}`;
  if (refused.size === 0) {
    setImmediate(() => {
      const counts = [...refused.values()];
      refused = new Map();
      post({ type: 'rejections', counts });
    });
  }
  refused.set(k, { entry, reason, count: (refused.get(k)?.count ?? 0) + n });
});

let running: { runtime: AgentRuntime; link: PortLink } | undefined;
/** The execq socket as the main thread binds it for us. */
let execq:
  | {
      onMessage: (text: string) => void;
      onError: (err: Error) => void;
      bound?: { resolve: () => void; reject: (err: Error) => void };
    }
  | undefined;

function bindExecqOnMain(
  path: string,
  onMessage: (text: string) => void,
  onError: (err: Error) => void,
): Promise<ExecqSocket> {
  return new Promise((resolve, reject) => {
    const socket: ExecqSocket = {
      path,
      // The main thread reads the socket on its own event loop, which the agent's batch steps
      // do not block: nothing to poll from here.
      poll: () => undefined,
      close: () => {
        execq = undefined;
        post({ type: 'unbind-execq' });
      },
    };
    execq = {
      onMessage,
      onError,
      bound: {
        resolve: () => {
          resolve(socket);
        },
        reject,
      },
    };
    post({ type: 'bind-execq', path });
  });
}

function stop(r: { runtime: AgentRuntime; link: PortLink }): void {
  r.link.close();
  r.runtime.stop().then(
    () => {
      post({ type: 'stopped' });
      init.link.close();
      control.close();
    },
    (err: unknown) => {
      post({ type: 'stopped', error: threadError(err) });
      init.link.close();
      control.close();
    },
  );
}

/** The main thread's answer to bind-execq. */
function onExecqBind(msg: Extract<ToAgentThread, { type: 'execq-bound' | 'execq-failed' }>): void {
  if (msg.type === 'execq-bound') {
    execq?.bound?.resolve();
    return;
  }
  const err = Object.assign(
    new Error(msg.error.message),
    msg.error.code !== undefined ? { code: msg.error.code } : {},
  );
  execq?.bound?.reject(err);
  execq = undefined;
}

/** SIGHUP on the main thread: this thread's log files too. */
function reopenLogs(): void {
  for (const err of reopenDaemonLogs()) {
    running?.runtime.log.warn(`Log file not reopened: ${err.message}`);
  }
}

control.on('message', (msg: ToAgentThread) => {
  switch (msg.type) {
    case 'execq':
      for (const text of msg.texts) {
        execq?.onMessage(text);
      }
      post({ type: 'execq-taken' });
      return;
    case 'execq-error':
      execq?.onError(new Error(msg.error.message));
      return;
    case 'execq-bound':
    case 'execq-failed':
      onExecqBind(msg);
      return;
    case 'reopen-logs':
      reopenLogs();
      return;
    case 'stop':
      if (running !== undefined) {
        stop(running);
      }
      return;
  }
});

async function start(): Promise<{ runtime: AgentRuntime; link: PortLink }> {
  const hook: { session?: AgentLinkSession } = {};
  const runtime = await startAgentRuntime({
    ...init.options,
    agentId: LOCAL_AGENT_ID,
    onExecution: (id) => hook.session?.notifyExecution(id),
    bindExecq: bindExecqOnMain,
  });
  const session = new AgentLinkSession({
    execd: runtime.execd,
    store: runtime.store,
    log: runtime.log,
    version: RIPOSTE_VERSION,
    disabled: init.options.settings.disabled,
    installArConf: () => undefined,
  });
  hook.session = session;
  return { runtime, link: connectPortAgentSide(session, init.link, undefined, runtime.log) };
}

start().then(
  (r) => {
    running = r;
    post({ type: 'ready', pid: process.pid });
  },
  (err: unknown) => {
    post({ type: 'failed', error: threadError(err) });
    init.link.close();
    control.close();
  },
);
