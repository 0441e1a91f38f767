/**
 * A run of execution reports writes its puts to the active list in one `putActives`
 * (execution-reports.ts), flushing the queued puts before each removal: the store ends as if each
 * report were applied alone, in arrival order. Here one batch of frames per agent, in one turn:
 * add K then delete K ends removed (a removal written before the queued put would leave K active);
 * add K, delete K, add K ends active; puts of other keys around them all land.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagerHost } from '../../src/runtime/manager-host.js';
import { withManagerHost } from './support/manager-host.js';
import type { AgentFrame } from '../../src/protocol/link.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import { activeFor, agentRecord, execution, newOrder } from '../contract/manager-store.fixtures.js';

const FAR = Date.now() + 3_600_000;

function report(agentId: string, id: number, key: string, action: 'add' | 'delete'): AgentFrame {
  // A FleetExecution's extra fields (orderSeq, receivedAt) are replaced by the manager's own.
  const record = execution(agentId, id, { key, action });
  return { type: 'execution', seq: id, record, active: action === 'add' ? activeFor(agentId, key) : null };
}

/** Enrolls the agent with one queued order per frame, says hello, then sends the frames in one turn. */
async function sendRun(host: ManagerHost, agentId: string, frames: readonly AgentFrame[]): Promise<void> {
  await host.store.insertAgent(agentRecord(agentId));
  await host.store.enqueueOrders(frames.map(() => newOrder({ agentId, expiresAt: FAR })));
  const session: AgentSession = { address: '127.0.0.1', send: () => undefined, close: () => undefined };
  host.handler.opened(agentId, session);
  host.handler.frame(agentId, session, {
    type: 'hello',
    version: '0.1.0',
    lastOrderSeq: 0,
    disabled: false,
    batches: true,
  });
  await host.handler.drain();
  for (const f of frames) {
    host.handler.frame(agentId, session, f);
  }
}

test('a run of reports: puts in one write, each removal after the puts before it', async () => {
  await withManagerHost('riposte-report-run-', async (host) => {
    const runs: Record<string, AgentFrame[]> = {
      '001': [report('001', 1, 'a', 'add'), report('001', 2, 'K', 'add'), report('001', 3, 'K', 'delete')],
      '002': [
        report('002', 1, 'K', 'add'),
        report('002', 2, 'K', 'delete'),
        report('002', 3, 'K', 'add'),
        report('002', 4, 'b', 'add'),
      ],
    };
    for (const [agentId, frames] of Object.entries(runs)) {
      await sendRun(host, agentId, frames);
    }
    await host.handler.drain();
    const keys = async (agentId: string): Promise<string[]> =>
      (await host.store.listActive(agentId)).map((a) => a.key);
    assert.deepEqual(await keys('001'), ['a'], 'add K then delete K in one run: K removed');
    assert.deepEqual(await keys('002'), ['K', 'b'], 'add K, delete K, add K: K active');
    assert.equal((await host.store.listExecutions({ limit: 100 })).length, 7, 'every report recorded');
  });
});
