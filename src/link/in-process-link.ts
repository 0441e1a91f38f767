/**
 * The manager's own agent (000) speaks the same link protocol as remote agents, without a socket:
 * frames are handed over on the next tick in both directions, so ordering and the handshake are
 * exactly those of the WebSocket link (hello, welcome, active-list, orders, acks, executions).
 *
 * Like a remote agent, it reconnects when the manager asks it to (AgentSession.retry: the manager
 * could not store its frames): the session ends, frames still on their way are dropped, and
 * `retryMs` later a new session starts with a new hello, which re-sends what the store lacks.
 */
import type { AgentSession } from '../manager/agent-sessions.js';
import type { LinkHandler } from '../manager/link-handler.js';
import type { AgentLinkSession } from './agent-link-session.js';

/** How long the manager's own agent waits before it reconnects when asked to, ms. */
export const LOCAL_RETRY_MS = 1_000;

export interface InProcessLink {
  close(): void;
}

/** Connects `agent` to the manager's `handler` as agent `agentId`. */
export function connectInProcess(
  handler: LinkHandler,
  agentId: string,
  agent: Pick<AgentLinkSession, 'connected' | 'onFrame' | 'disconnected'>,
  retryMs = LOCAL_RETRY_MS,
): InProcessLink {
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
    const managerSide: AgentSession = {
      address: 'local',
      send(frame) {
        setImmediate(() => {
          if (open) {
            agent.onFrame(frame);
          }
        });
      },
      close: shut,
      retry() {
        shut();
        if (!closed) {
          timer = setTimeout(connect, retryMs);
        }
      },
    };
    shutCurrent = shut;
    handler.opened(agentId, managerSide);
    agent.connected((frame) => {
      setImmediate(() => {
        if (open) {
          handler.frame(agentId, managerSide, frame);
        }
      });
    });
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
