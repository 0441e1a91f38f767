/**
 * A manager's stop drains its link handler before the store closes (manager-runtime.ts stopAll,
 * single-host-runtime.ts): the last-seen writes of the last disconnections, and the frames received
 * just before, are queued for the next event-loop turn (link-handler.ts seenWriter, frameBatcher).
 * Closing the store at once lost them ("The database connection is not open"). Here an agent's
 * hello is applied once the handler is drained; then it disconnects, the handler is drained and the
 * store closed in the same turn; the store, reopened, holds the disconnection's last-seen time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost } from '../../src/runtime/manager-host.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';

test('drain() writes the last frames and last-seen times before the store closes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'riposte-link-drain-'));
  try {
    writeFileSync(join(root, 'ossec.conf'), '<ossec_config></ossec_config>\n');
    const opts = { configPath: join(root, 'ossec.conf'), home: join(root, 'home') };
    const host = await openManagerHost(opts, false, 'riposte-manager');
    await host.store.insertAgent(agentRecord('001'));
    const session: AgentSession = { address: '127.0.0.1', send: () => undefined, close: () => undefined };
    host.handler.opened('001', session);
    host.handler.frame('001', session, {
      type: 'hello',
      version: '9.8.7',
      lastOrderSeq: 0,
      disabled: false,
      batches: true,
    });
    await host.handler.drain();
    assert.equal((await host.store.getAgent('001'))?.version, '9.8.7', 'the hello is applied once drained');
    const closedAt = Date.now();
    host.handler.closed('001', session);
    await host.handler.drain();
    await host.store.close();

    const reopened = await openManagerHost(opts, false, 'riposte-manager');
    try {
      const agent = await reopened.store.getAgent('001');
      assert.ok(agent?.lastSeen !== undefined && agent.lastSeen >= closedAt, `last seen: ${agent?.lastSeen}`);
      assert.equal(agent?.version, '9.8.7');
    } finally {
      await reopened.store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
