/**
 * An agent link session (src/link/agent-link-session.ts) for tests, on an agent store: execd's
 * `submit` as the test gives it, reverts of nothing, the store's active list; ar.conf not installed.
 */
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import { AgentLinkSession, type AgentLinkDeps } from '../../src/link/agent-link-session.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import type { AgentFrame } from '../../src/protocol/link.js';

export function testLinkSession(
  store: AgentStore,
  submit: AgentLinkDeps['execd']['submit'],
  reportHoldMs?: number,
): AgentLinkSession {
  return new AgentLinkSession({
    execd: { submit, revert: () => Promise.resolve(undefined), listActive: () => store.listActive() },
    store,
    log: memoryDaemonLog(),
    version: 't',
    disabled: false,
    installArConf: () => undefined,
    ...(reportHoldMs !== undefined ? { reportHoldMs } : {}),
  });
}

/** A session on a real Execd and its store (test/unit/agent/execd-fixture.ts harness). */
export function execdLinkSession(
  deps: Pick<AgentLinkDeps, 'execd' | 'store' | 'log'>,
  reportHoldMs?: number,
): AgentLinkSession {
  return new AgentLinkSession({
    ...deps,
    version: 't',
    disabled: false,
    installArConf: () => undefined,
    ...(reportHoldMs !== undefined ? { reportHoldMs } : {}),
  });
}

/**
 * The frames `session` sends from its next connection on, as the agent sends them (the in-process
 * link hands these objects over): its `connected` is wrapped to record each one.
 */
export function recordSentFrames(session: AgentLinkSession): AgentFrame[] {
  const sent: AgentFrame[] = [];
  const connected = session.connected.bind(session);
  session.connected = (send) => {
    connected((f) => {
      sent.push(f);
      send(f);
    });
  };
  return sent;
}
