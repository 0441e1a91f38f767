/**
 * Agent 000 of `riposte start` on its own worker thread (local-agent-worker.ts): its own event
 * loop and store connection, linked to the manager by the link protocol over a MessagePort
 * (link/port-link.ts). The manager's ingest (API, planning, durable orders) and the agent's
 * executions then run in parallel instead of taking turns on one event loop. Guarantees are those
 * of the link: an order is acked only once the agent recorded its execution, reports are
 * idempotent, and a kill -9 of the process loses nothing either side committed.
 *
 * A failure of the thread after start-up (an uncaught error in the agent) is rethrown on the main
 * thread, as it was when agent 000 shared it: the process stops and its restart re-applies.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { DEFAULT_BOOT_ID_FILE } from '../agent/boot-id.js';
import { DEFAULT_SCRIPT_LIMITS } from '../agent/executor/spawn-script.js';
import { connectPortManagerSide } from '../link/port-link.js';
import { LOCAL_AGENT_ID } from '../manager/manager-context.js';
import { RiposteError, type ErrorCode } from '../protocol/error-codes.js';
import type { ManagerHost, ManagerHostOptions } from './manager-host.js';
import { bindExecqSocket, type ExecqSocket } from '../agent/execq-socket.js';
import { recordRejection } from '../protocol/input-rejections.js';
import { ExecqRelay } from './execq-relay.js';
import type { DaemonLog } from '../log/daemon-log.js';
import {
  threadError,
  type FromAgentThread,
  type LocalAgentInit,
  type ThreadError,
  type ToAgentThread,
} from './local-agent-protocol.js';

export interface LocalAgentThread {
  /** Closes the link, stops the agent (its runtime's clean stop), waits for the thread to end. */
  stop(): Promise<void>;
}

/** How long a stopped thread may take to end on its own before it is terminated. */
const EXIT_GRACE_MS = 5_000;

function toError(e: ThreadError): Error {
  return e.code !== undefined
    ? new RiposteError(e.code as ErrorCode, e.message, e.details)
    : new Error(e.message);
}

function initOf(opts: ManagerHostOptions, host: ManagerHost, link: MessagePort): LocalAgentInit {
  return {
    options: {
      home: host.home,
      settings: host.config.agent,
      limits: opts.limits ?? DEFAULT_SCRIPT_LIMITS,
      logLevel: opts.logLevel ?? 'info',
      bootIdFile: opts.bootIdFile ?? DEFAULT_BOOT_ID_FILE,
      revertOnStop: opts.revertOnStop ?? false,
      ...(opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {}),
      ...(opts.dryRun === true ? { dryRun: true } : {}),
    },
    link,
  };
}

/** Resolves on the thread's `ready`; rejects on `failed`, an error or an exit before it. */
function ready(worker: Worker, exited: Promise<number>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onStart = (msg: FromAgentThread): void => {
      if (msg.type !== 'ready' && msg.type !== 'failed' && msg.type !== 'stopped') {
        return; // bind-execq: execqForWorker answers it
      }
      worker.off('message', onStart);
      worker.off('error', reject);
      if (msg.type === 'ready') {
        resolve();
      } else {
        reject(toError(msg.type === 'failed' ? msg.error : { message: 'agent 000 stopped at start' }));
      }
    };
    worker.on('message', onStart);
    worker.once('error', reject);
    void exited.then((code) => {
      reject(new Error(`agent 000's thread ended at start (exit code ${code})`));
    });
  });
}

/** After start-up, a failing or ending thread (not stopped by us) stops the process, as before. */
function watch(worker: Worker, exited: Promise<number>, host: ManagerHost, stopping: () => boolean): void {
  const fail = (err: Error): void => {
    host.log.error(`Agent 000's thread failed: ${err.message}`);
    setImmediate(() => {
      throw err;
    });
  };
  worker.on('error', fail);
  void exited.then((code) => {
    if (!stopping()) {
      fail(new Error(`agent 000's thread ended unexpectedly (exit code ${code})`));
    }
  });
}

/** Asks the thread to stop (the agent runtime's clean stop), waits for it to end. */
async function stopThread(worker: Worker, exited: Promise<number>): Promise<void> {
  const stopped = new Promise<FromAgentThread>((resolve) => {
    worker.on('message', (msg: FromAgentThread) => {
      if (msg.type === 'stopped') {
        resolve(msg);
      }
    });
  });
  worker.postMessage({ type: 'stop' } satisfies ToAgentThread);
  const result = await Promise.race([stopped, exited.then(() => undefined)]);
  const grace = setTimeout(() => void worker.terminate(), EXIT_GRACE_MS);
  await exited;
  clearTimeout(grace);
  if (result?.type === 'stopped' && result.error !== undefined) {
    throw toError(result.error);
  }
}

/** Agent 000's refused inputs, counted here where the metrics read them (local-agent-worker.ts). */
function countRejections(msg: FromAgentThread): void {
  if (msg.type === 'rejections') {
    for (const c of msg.counts) {
      recordRejection(c.entry, c.reason, c.count);
    }
  }
}

/** Starts agent 000 on a worker thread; resolves once it runs and is linked to `host`. */
export async function startLocalAgentThread(
  opts: ManagerHostOptions,
  host: ManagerHost,
): Promise<LocalAgentThread> {
  const channel = new MessageChannel();
  const worker = new Worker(new URL('./local-agent-worker.js', import.meta.url), {
    workerData: initOf(opts, host, channel.port2),
    transferList: [channel.port2],
  });
  const send = (msg: ToAgentThread): void => {
    worker.postMessage(msg);
  };
  let stopping = false;
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const execq = execqForWorker(send, host.log);
  worker.on('message', execq.onMessage);
  worker.on('message', countRejections);
  void exited.then(execq.close);
  await ready(worker, exited).catch(async (err: unknown) => {
    channel.port1.close();
    worker.on('error', () => undefined); // start-up failed already: the first error is the one thrown
    await worker.terminate();
    throw err;
  });
  const link = connectPortManagerSide(host.handler, LOCAL_AGENT_ID, channel.port1);
  watch(worker, exited, host, () => stopping);
  const forwardHup = (): void => {
    send({ type: 'reopen-logs' });
  };
  process.on('SIGHUP', forwardHup);
  return {
    stop: async () => {
      if (stopping) {
        return;
      }
      stopping = true;
      process.off('SIGHUP', forwardHup);
      link.close();
      try {
        await stopThread(worker, exited);
      } finally {
        channel.port1.close();
      }
    },
  };
}

/**
 * The execq socket on this thread for the agent's thread (unix-dgram loads in one thread only):
 * bound when the agent asks, each turn's datagrams handed on in one message (at most so many
 * waiting for the thread: execq-relay.ts), closed when the agent closes it or its thread ends.
 */
function execqForWorker(
  send: (msg: ToAgentThread) => void,
  log: DaemonLog,
): {
  onMessage: (msg: FromAgentThread) => void;
  close: () => void;
} {
  let socket: ExecqSocket | undefined;
  const relay = new ExecqRelay((texts) => {
    send({ type: 'execq', texts });
  }, log);
  const onText = relay.onText;
  const onError = (err: Error): void => {
    send({ type: 'execq-error', error: threadError(err) });
  };
  const close = (): void => {
    socket?.close();
    socket = undefined;
  };
  return {
    close: () => {
      close();
      relay.releaseAll(); // the thread ended: what it was sent is no longer waiting
    },
    onMessage: (msg) => {
      if (msg.type === 'execq-taken') {
        relay.taken();
      } else if (msg.type === 'bind-execq') {
        close();
        bindExecqSocket(msg.path, onText, onError).then(
          (s) => {
            socket = s;
            send({ type: 'execq-bound' });
          },
          (err: unknown) => {
            send({ type: 'execq-failed', error: threadError(err) });
          },
        );
      } else if (msg.type === 'unbind-execq') {
        close();
      }
    },
  };
}
