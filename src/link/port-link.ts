/**
 * The link protocol between the manager and its own agent 000 when the agent runs on a worker
 * thread (`riposte start`): the same frames as the WebSocket link (hello, welcome, active-list,
 * orders, acks, executions), carried over a MessagePort. Frames keep their order in each
 * direction. The frames sent in one event-loop turn travel as one message (posted on the next
 * turn, `setImmediate`): a burst costs one structured clone per turn, and a lone frame waits for
 * nothing but the end of the current turn, as on the in-process link.
 *
 * Either side may close: the other side is told (`close` message) and stops sending.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AgentFrame, ManagerFrame } from '../protocol/link.js';
import type { AgentSession } from '../manager/agent-sessions.js';
import type { LinkHandler } from '../manager/link-handler.js';
import type { AgentLinkSession } from './agent-link-session.js';

/** What travels on the port. */
export type PortLinkMessage<F> = { readonly frames: readonly F[] } | { readonly close: true };

export interface PortLink {
  close(): void;
}

type Frame = AgentFrame | ManagerFrame;

/** Queues frames and posts each turn's frames as one message. */
function batcher(port: MessagePort, isOpen: () => boolean): (frame: Frame) => void {
  let queued: Frame[] = [];
  const flush = (): void => {
    const frames = queued;
    queued = [];
    if (isOpen() && frames.length > 0) {
      port.postMessage({ frames } satisfies PortLinkMessage<Frame>);
    }
  };
  return (frame) => {
    queued.push(frame);
    if (queued.length === 1) {
      setImmediate(flush);
    }
  };
}

/** Manager side: agent `agentId` is on the other end of `port`. */
export function connectPortManagerSide(handler: LinkHandler, agentId: string, port: MessagePort): PortLink {
  let open = true;
  const post = batcher(port, () => open);
  const shut = (tellAgent: boolean): void => {
    if (open) {
      open = false;
      if (tellAgent) {
        port.postMessage({ close: true } satisfies PortLinkMessage<ManagerFrame>);
      }
      port.off('message', onMessage);
      handler.closed(agentId, session);
    }
  };
  const session: AgentSession = {
    address: 'local',
    send: post,
    close() {
      shut(true);
    },
  };
  const onMessage = (msg: PortLinkMessage<AgentFrame>): void => {
    if ('close' in msg) {
      shut(false);
      return;
    }
    for (const frame of msg.frames) {
      if (!open) {
        return;
      }
      handler.frame(agentId, session, frame);
    }
  };
  handler.opened(agentId, session);
  port.on('message', onMessage);
  return {
    close: () => {
      shut(true);
    },
  };
}

/** Agent side: the manager is on the other end of `port`; `agent` starts its handshake now. */
export function connectPortAgentSide(
  agent: Pick<AgentLinkSession, 'connected' | 'onFrame' | 'disconnected'>,
  port: MessagePort,
): PortLink {
  let open = true;
  const shut = (tellManager: boolean): void => {
    if (open) {
      open = false;
      if (tellManager) {
        port.postMessage({ close: true } satisfies PortLinkMessage<AgentFrame>);
      }
      port.off('message', onMessage);
      agent.disconnected();
    }
  };
  const onMessage = (msg: PortLinkMessage<ManagerFrame>): void => {
    if ('close' in msg) {
      shut(false);
      return;
    }
    for (const frame of msg.frames) {
      if (!open) {
        return;
      }
      agent.onFrame(frame);
    }
  };
  port.on('message', onMessage);
  agent.connected(batcher(port, () => open));
  return {
    close: () => {
      shut(true);
    },
  };
}
