/**
 * The link protocol between the manager and its own agent 000 when the agent runs on a worker
 * thread (`riposte start`): the same frames as the WebSocket link (hello, welcome, active-list,
 * orders, acks, executions), carried over a MessagePort. Frames keep their order in each
 * direction. The frames sent in one event-loop turn travel as one message (posted on the next
 * turn, `setImmediate`): a burst costs one structured clone per turn, and a lone frame waits for
 * nothing but the end of the current turn, as on the in-process link.
 *
 * Either side may close: the other side is told (`close` message) and stops sending. The manager
 * may ask the agent to reconnect (AgentSession.retry: it could not store the agent's frames): it
 * starts a new session at once and drops the agent's frames until its new hello; the agent
 * (`retry` message) ends its session and starts a new one, with a new hello, `retryMs` later.
 * The agent asks for the same (`retry` to the manager) when its own store fails (a frame it cannot
 * take in, a report run that cannot read): never a throw out of the worker's event loop.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AgentFrame, ManagerFrame } from '../protocol/link.js';
import type { AgentSession } from '../manager/agent-sessions.js';
import type { LinkHandler } from '../manager/link-handler.js';
import type { AgentLinkSession } from './agent-link-session.js';
import { LOCAL_RETRY_MS, deliver } from './in-process-link.js';
import type { DaemonLog } from '../log/daemon-log.js';

/** What travels on the port (`retry`: either way, see the module comment). */
export type PortLinkMessage<F> =
  { readonly frames: readonly F[] } | { readonly close: true } | { readonly retry: true };

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
  /** After a retry: the agent's frames of its old session are dropped until its new hello. */
  let awaitingHello = false;
  const post = batcher(port, () => open);
  const newSession = (): AgentSession => ({
    address: 'local',
    send: post,
    close() {
      shut(true);
    },
    retry() {
      if (open) {
        handler.closed(agentId, session);
        session = newSession();
        awaitingHello = true;
        handler.opened(agentId, session);
        port.postMessage({ retry: true } satisfies PortLinkMessage<ManagerFrame>);
      }
    },
  });
  let session = newSession();
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
  const onMessage = (msg: PortLinkMessage<AgentFrame>): void => {
    if ('close' in msg) {
      shut(false);
      return;
    }
    if (!('frames' in msg)) {
      session.retry?.(); // the agent asks for a new session (its store failed)
      return;
    }
    for (const frame of msg.frames) {
      if (!open) {
        return;
      }
      awaitingHello &&= frame.type !== 'hello';
      if (!awaitingHello) {
        handler.frame(agentId, session, frame);
      }
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

/**
 * The agent's side asks the manager for a new session (its store failed): the manager answers
 * `retry`. Called only while a session is up (the agent session's `end`, a frame delivered): a
 * second ask before the answer only renews the session once more.
 */
function retryAsker(port: MessagePort): () => void {
  return () => {
    port.postMessage({ retry: true } satisfies PortLinkMessage<AgentFrame>);
  };
}

/** Agent side: the manager is on the other end of `port`; `agent` starts its handshake now. */
export function connectPortAgentSide(
  agent: Pick<AgentLinkSession, 'connected' | 'onFrame' | 'disconnected'>,
  port: MessagePort,
  retryMs = LOCAL_RETRY_MS,
  log?: Pick<DaemonLog, 'error'>,
): PortLink {
  let open = true;
  /** Between a retry and the new session: the manager's frames are not for this agent session. */
  let reconnecting: NodeJS.Timeout | undefined;
  const post = batcher(port, () => open);
  const askRetry = retryAsker(port);
  const shut = (tellManager: boolean): void => {
    if (open) {
      open = false;
      clearTimeout(reconnecting);
      if (tellManager) {
        port.postMessage({ close: true } satisfies PortLinkMessage<AgentFrame>);
      }
      port.off('message', onMessage);
      if (reconnecting === undefined) {
        agent.disconnected();
      }
    }
  };
  const retry = (): void => {
    if (reconnecting !== undefined) {
      return;
    }
    agent.disconnected();
    reconnecting = setTimeout(() => {
      reconnecting = undefined;
      if (open) {
        agent.connected(post, undefined, askRetry);
      }
    }, retryMs);
  };
  const onMessage = (msg: PortLinkMessage<ManagerFrame>): void => {
    if ('close' in msg) {
      shut(false);
      return;
    }
    if ('retry' in msg) {
      retry();
      return;
    }
    for (const frame of msg.frames) {
      if (!open || reconnecting !== undefined) {
        return;
      }
      deliver(agent, frame, log, askRetry);
    }
  };
  port.on('message', onMessage);
  agent.connected(post, undefined, askRetry);
  return {
    close: () => {
      shut(true);
    },
  };
}
