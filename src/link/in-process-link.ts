/**
 * The manager's own agent (000) speaks the same link protocol as remote agents, without a socket:
 * frames are handed over on the next tick in both directions, so ordering and the handshake are
 * exactly those of the WebSocket link (hello, welcome, active-list, orders, acks, executions).
 */
import type { AgentSession } from '../manager/agent-sessions.js';
import type { LinkHandler } from '../manager/link-handler.js';
import type { AgentLinkSession } from './agent-link-session.js';

export interface InProcessLink {
  close(): void;
}

/** Connects `agent` to the manager's `handler` as agent `agentId`. */
export function connectInProcess(
  handler: LinkHandler,
  agentId: string,
  agent: AgentLinkSession,
): InProcessLink {
  let open = true;
  const managerSide: AgentSession = {
    address: 'local',
    send(frame) {
      setImmediate(() => {
        if (open) {
          agent.onFrame(frame);
        }
      });
    },
    close() {
      shut();
    },
  };
  const shut = (): void => {
    if (open) {
      open = false;
      agent.disconnected();
      handler.closed(agentId, managerSide);
    }
  };
  handler.opened(agentId, managerSide);
  agent.connected((frame) => {
    setImmediate(() => {
      if (open) {
        handler.frame(agentId, managerSide, frame);
      }
    });
  });
  return { close: shut };
}
