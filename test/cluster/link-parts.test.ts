/**
 * A manager node on PostgreSQL applies a batch of link frames as several concurrent transactions
 * (link-handler.ts splitByAgent): every agent's frames in one part, in arrival order. Here twelve
 * agents' acks and executions arrive interleaved in one batch, each agent's in an order where a
 * swap would show (add K, delete K, add K again): every agent ends as if its frames were applied
 * one after the other. A hello expires that agent's due queued orders instead of sending them,
 * and leaves other agents' orders alone (the cluster-wide timer expires those).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost, type ManagerHost } from '../../src/runtime/manager-host.js';
import { splitByAgent } from '../../src/manager/link-handler.js';
import type { AgentFrame, ManagerFrame } from '../../src/protocol/link.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import type { ExecutionRecord } from '../../src/protocol/execution-records.js';
import { activeFor, agentRecord, newOrder } from '../contract/manager-store.fixtures.js';
import { startPgServer, type PgServer } from './support/pg-server.js';

const AGENTS = 12;
const KEY = 'mark-198.18.0.1';
const FAR = Date.now() + 3_600_000;

let pgServer: PgServer;
let host: ManagerHost;
const root = mkdtempSync(join(tmpdir(), 'riposte-link-parts-'));

before(async () => {
  pgServer = await startPgServer();
  writeFileSync(join(root, 'ossec.conf'), '<ossec_config></ossec_config>\n');
  host = await openManagerHost(
    { configPath: join(root, 'ossec.conf'), home: join(root, 'home'), storeUrl: pgServer.url },
    false,
    'node-a',
  );
});

after(async () => {
  await Promise.resolve(host.store.close());
  await pgServer.stop();
  rmSync(root, { recursive: true, force: true });
});

const ids = Array.from({ length: AGENTS }, (_, i) => String(i + 1).padStart(3, '0'));
const SILENT = '099';

function record(agentId: string, id: number, action: 'add' | 'delete'): ExecutionRecord {
  return {
    id,
    key: KEY,
    arName: 'mark600',
    program: 'active-response/bin/mark',
    action,
    agentId,
    alertId: undefined,
    ruleId: 5,
    srcip: '198.18.0.1',
    user: undefined,
    startedAt: 1,
    endedAt: 2,
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
  };
}

/** Each agent's frames after its hello, in the order it sends them. */
function framesOf(agentId: string): AgentFrame[] {
  const put = activeFor(agentId, KEY);
  return [
    { type: 'acks', seqs: [1, 2, 3] },
    { type: 'execution', seq: 1, record: record(agentId, 1, 'add'), active: put },
    { type: 'execution', seq: 2, record: record(agentId, 2, 'delete'), active: null },
    { type: 'execution', seq: 3, record: record(agentId, 3, 'add'), active: put },
  ];
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('splitByAgent keeps each agent in one part, in arrival order, agents ascending', () => {
  const batch = ['003', '001', '002', '001', '003', '004', '001'].map((agentId, n) => ({ agentId, n }));
  assert.deepEqual(splitByAgent(batch, 1), [batch], 'one part: arrival order as is');
  assert.deepEqual(
    splitByAgent(batch, 2).map((part) => part.map((p) => `${p.agentId}:${p.n}`)),
    [
      ['001:1', '001:3', '001:6', '003:0', '003:4'],
      ['002:2', '004:5'],
    ],
  );
  assert.deepEqual(splitByAgent(batch.slice(0, 1), 4).length, 1);
});

test('interleaved frames of twelve agents in concurrent parts: each agent as if applied in order', async () => {
  const { store, handler } = host;
  assert.ok(store.batchConcurrency > 1, `PostgreSQL runs batches concurrently (${store.batchConcurrency})`);
  for (const id of [...ids, SILENT]) {
    await store.insertAgent(agentRecord(id));
    await store.enqueueOrders([
      newOrder({ agentId: id, key: KEY, expiresAt: FAR }),
      newOrder({ agentId: id, kind: 'revert', key: KEY, payload: KEY, expiresAt: FAR }),
      newOrder({ agentId: id, key: KEY, expiresAt: FAR }),
      newOrder({ agentId: id, key: KEY, expiresAt: 2 }), // seq 4: past its expiry
    ]);
  }
  const sent = new Map<string, ManagerFrame[]>();
  const sessions = new Map<string, AgentSession>();
  for (const id of ids) {
    const frames: ManagerFrame[] = [];
    sent.set(id, frames);
    const session: AgentSession = {
      address: '127.0.0.1',
      send: (f) => frames.push(f),
      close: (code, reason) => assert.fail(`agent ${id}'s session closed: ${code} ${reason}`),
    };
    sessions.set(id, session);
    handler.opened(id, session);
    handler.frame(id, session, {
      type: 'hello',
      version: '0.1.0',
      lastOrderSeq: 0,
      disabled: false,
      batches: true,
    });
  }
  const seqsSent = (id: string): number[] =>
    (sent.get(id) ?? []).flatMap((f) =>
      f.type === 'orders' ? f.orders.map((o) => o.seq) : f.type === 'order' ? [f.seq] : [],
    );
  await until('the queued orders of every agent', () =>
    Promise.resolve(ids.every((id) => seqsSent(id).length >= 3)),
  );
  // The welcomes and queues go out inside the hellos' transactions: their writes (the expiry) are
  // read once those have committed.
  await handler.drain();
  for (const id of ids) {
    assert.deepEqual(seqsSent(id), [1, 2, 3], `agent ${id}: the expired order is not sent`);
    assert.equal((await store.getOrder(id, 4))?.state, 'expired', `agent ${id}'s seq 4`);
  }
  assert.equal((await store.getOrder(SILENT, 4))?.state, 'queued', 'a hello expires its own agent only');

  // One turn: the frames interleaved across agents (frame 0 of each, then frame 1 of each, ...).
  const perAgent = new Map(ids.map((id) => [id, framesOf(id)]));
  for (let step = 0; step < 4; step++) {
    for (const id of ids) {
      const frame = perAgent.get(id)?.[step];
      const session = sessions.get(id);
      assert.ok(frame && session);
      handler.frame(id, session, frame);
    }
  }
  await until('every execution recorded', async () => {
    const recorded = await store.listExecutions({ limit: 1_000 });
    return recorded.filter((e) => e.agentId !== SILENT).length === 3 * AGENTS;
  });
  for (const id of ids) {
    const states = (await store.getOrders(id, [1, 2, 3, 4])).map((o) => `${o.seq}:${o.state}`);
    assert.deepEqual(states, ['1:reverted', '2:executed', '3:executed', '4:expired'], `agent ${id}`);
    assert.deepEqual(
      (await store.listActive(id)).map((a) => a.key),
      [KEY],
      `agent ${id}: the key is active again after its second add`,
    );
  }
});
