/**
 * An agent link session (src/link/agent-link-session.ts) for tests, on an agent store: execd's
 * `submit` as the test gives it, reverts of nothing, the store's active list; ar.conf not installed.
 */
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import { AgentLinkSession, type AgentLinkDeps } from '../../src/link/agent-link-session.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';

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
