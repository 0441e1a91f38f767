/**
 * The manager's own agent (000) speaks the same link protocol as remote agents, without a socket:
 * frames are handed over on the next tick in both directions, so ordering and the handshake are
 * exactly those of the WebSocket link (hello, welcome, active-list, orders, acks, executions).
 *
 * Like a remote agent, it reconnects when the manager asks it to (AgentSession.retry: the manager
 * could not store its frames): the session ends, frames still on their way are dropped, and
 * `retryMs` later a new session starts with a new hello, which re-sends what the store lacks.
 * The agent's side does the same when its own store fails (a frame it cannot take in, a report
 * run that cannot read): it is logged and the session ends and starts again, never a throw into
 * the event loop, which would end the manager's process.
 */
import type { AgentSession } from '../manager/agent-sessions.js';
import type { ManagerFrame } from '../protocol/link.js';
import type { LinkHandler } from '../manager/link-handler.js';
import type { AgentLinkSession } from './agent-link-session.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { errorMessage } from '../protocol/error-message.js';

/** How long the manager's own agent waits before it reconnects when asked to, ms. */
export const LOCAL_RETRY_MS = 1_000;

export interface InProcessLink {
  close(): void;
}

export interface InProcessLinkOptions {
  /** How long the agent waits before it reconnects. @default LOCAL_RETRY_MS */
  readonly retryMs?: number;
  /** Where a frame the agent could not take in is logged. */
  readonly log?: Pick<DaemonLog, 'error'>;
}

/**
 * Hands `frame` to `agent`: a throw (its store failing) is logged and `renew` is called (the
 * session ends and starts again), never thrown out of the event-loop callback that delivers it.
 */
export function deliver(
  agent: Pick<AgentLinkSession, 'onFrame'>,
  frame: ManagerFrame,
  log: Pick<DaemonLog, 'error'> | undefined,
  renew: () => void,
): void {
  try {
    agent.onFrame(frame);
  } catch (err: unknown) {
    log?.error(`Local agent link: could not take in a '${frame.type}' frame: ${errorMessage(err)}.`);
    renew();
  }
}

/** Connects `agent` to the manager's `handler` as agent `agentId`. */
export function connectInProcess(
  handler: LinkHandler,
  agentId: string,
  agent: Pick<AgentLinkSession, 'connected' | 'onFrame' | 'disconnected'>,
  opts: InProcessLinkOptions = {},
): InProcessLink {
  const retryMs = opts.retryMs ?? LOCAL_RETRY_MS;
  let closed = false;
  let shutCurrent = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  const connect = (): void => {
    let open = true;
    const shut = (): void => {
      if (open) {
        open = false;
        agent.disconnected();
        handler.closed(agentId, managerSide);
      }
    };
    const retry = (): void => {
      shut();
      if (!closed) {
        timer = setTimeout(connect, retryMs);
      }
    };
    const managerSide: AgentSession = {
      address: 'local',
      send(frame) {
        setImmediate(() => {
          if (open) {
            deliver(agent, frame, opts.log, retry);
          }
        });
      },
      close: shut,
      retry,
    };
    shutCurrent = shut;
    handler.opened(agentId, managerSide);
    agent.connected(
      (frame) => {
        setImmediate(() => {
          if (open) {
            handler.frame(agentId, managerSide, frame);
          }
        });
      },
      undefined,
      retry,
    );
  };
  connect();
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      shutCurrent();
    },
  };
}
