/**
 * Control messages between `riposte start`'s main thread and the worker thread of agent 000
 * (local-agent-thread.ts, local-agent-worker.ts). The link frames do not travel here: they have
 * their own MessagePort (link/port-link.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import type { AgentArSettings } from '../core/config-model.js';
import type { LogLevel } from '../log/daemon-log.js';
import type { ScriptLimits } from '../agent/executor/spawn-script.js';
import type { RejectionCount } from '../protocol/input-rejections.js';

/** workerData: everything agent 000 needs to start (plain data) and its end of the link. */
export interface LocalAgentInit {
  readonly options: {
    readonly home: string;
    readonly settings: AgentArSettings;
    readonly limits: ScriptLimits;
    readonly logLevel: LogLevel;
    readonly bootIdFile: string;
    readonly revertOnStop: boolean;
    readonly poolSize?: number;
    readonly dryRun?: boolean;
  };
  readonly link: MessagePort;
}

/** An error as it crosses the thread boundary (RiposteError's code and details kept). */
export interface ThreadError {
  readonly message: string;
  readonly code?: string;
  readonly details?: Record<string, unknown>;
}

/**
 * The execq socket is bound by the main thread (unix-dgram, a native addon, loads in one thread
 * only): the agent asks for it (`bind-execq`), the main thread answers `execq-bound` or
 * `execq-failed`, then hands on each turn's datagrams (`execq`) and socket errors (`execq-error`).
 */
export type ToAgentThread =
  | { readonly type: 'stop' }
  | { readonly type: 'reopen-logs' }
  | { readonly type: 'execq-bound' }
  | { readonly type: 'execq-failed'; readonly error: ThreadError }
  | { readonly type: 'execq'; readonly texts: readonly string[] }
  | { readonly type: 'execq-error'; readonly error: ThreadError };

export type FromAgentThread =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'failed'; readonly error: ThreadError }
  | { readonly type: 'stopped'; readonly error?: ThreadError }
  | { readonly type: 'bind-execq'; readonly path: string }
  | { readonly type: 'unbind-execq' }
  /** The thread took the texts of the oldest `execq` message not acknowledged yet (execq-relay.ts). */
  | { readonly type: 'execq-taken' }
  /** Inputs this thread refused since its last such message (the main thread's metrics count them). */
  | { readonly type: 'rejections'; readonly counts: readonly RejectionCount[] };

/** An error as a ThreadError (RiposteError's code and details kept). */
export function threadError(err: unknown): ThreadError {
  if (!(err instanceof Error)) {
    return { message: String(err) };
  }
  const { code, details } = err as { code?: unknown; details?: unknown };
  return {
    message: err.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof details === 'object' && details !== null
      ? { details: details as Record<string, unknown> }
      : {}),
  };
}
