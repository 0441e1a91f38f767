/**
 * The PostgreSQL manager store and text PostgreSQL cannot hold (pg-text.ts): an agent's execution
 * record or active response with a NUL (a script that wrote one to stderr) or a lone UTF-16
 * surrogate is stored with U+FFFD in its place instead of being refused. A refused write rolled
 * back its whole batch of link frames, and its agents were asked to reconnect and send it again,
 * forever. Lookups by such a key find what the write stored.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPgManagerStore } from '../../src/store/pg-manager-store.js';
import { openPgApiStore } from '../../src/store/pg-api-store.js';
import { startPgServer, type PgServer } from '../cluster/support/pg-server.js';
import { activeFor, agentRecord, execution, newOrder } from './manager-store.fixtures.js';

let server: Promise<PgServer> | undefined;
after(async () => {
  if (server !== undefined) {
    await (await server).stop();
  }
});
let schemas = 0;
async function freshStore(): Promise<Awaited<ReturnType<typeof openPgManagerStore>>> {
  server ??= startPgServer();
  return openPgManagerStore((await server).url, { schema: `text_case_${++schemas}` });
}

void test('execution records with a NUL or a lone surrogate are stored, as U+FFFD', async () => {
  const s = await freshStore();
  try {
    await s.insertAgent(agentRecord('001'));
    const stored = await s.recordExecutions([
      execution('001', 1, { stderrTail: 'iptables: \u0000bad\u0000', note: 'n\ud800' }),
      execution('001', 2, { user: 'ro\udc00ot', key: 'mark-\u0000' }),
    ]);
    assert.deepEqual(stored, [true, true]);
    assert.equal(await s.recordExecution(execution('001', 3, { stderrTail: '\u0000' })), true);
    const back = (await s.listExecutions({ agentId: '001', limit: 10 })).reverse();
    assert.deepEqual(
      back.map((e) => [e.id, e.stderrTail, e.note, e.user, e.key]),
      [
        [1, 'iptables: \ufffdbad\ufffd', 'n\ufffd', undefined, 'mark-1'],
        [2, '', undefined, 'ro\ufffdot', 'mark-\ufffd'],
        [3, '\ufffd', undefined, undefined, 'mark-3'],
      ],
    );
  } finally {
    await s.close();
  }
});

void test('active responses and orders with a NUL or a lone surrogate: stored, found by that key', async () => {
  const s = await freshStore();
  try {
    await s.insertAgent(agentRecord('001'));
    const key = 'disable-account-a\u0000b';
    await s.putActives([activeFor('001', key, { user: 'a\u0000b', alertId: 'x\ud800' })], 5);
    await s.putActive(activeFor('001', 'k\udc00'), 6);
    const listed = await s.listActive('001');
    assert.deepEqual(listed.map((a) => [a.key, a.user, a.alertId]).sort(), [
      ['disable-account-a\ufffdb', 'a\ufffdb', 'x\ufffd'],
      ['k\ufffd', undefined, undefined],
    ]);
    // Two keys that differ only by what is replaced are one row: one statement takes both, the
    // later wins (an INSERT ... ON CONFLICT that touched the row twice failed).
    await s.putActives(
      [activeFor('001', 'k\u0000', { user: 'first' }), activeFor('001', 'k\ufffd', { user: 'second' })],
      7,
    );
    assert.deepEqual(
      (await s.listActive('001')).filter((a) => a.key === 'k\ufffd').map((a) => a.user),
      ['second'],
    );
    await s.removeActive('001', 'k\ufffd');
    await s.removeActive('001', key);
    await s.removeActive('001', 'k\udc00');
    assert.deepEqual(await s.listActive('001'), [], 'removed by the key as the agent reported it');

    const [o] = await s.enqueueOrders([newOrder({ key: 'k\u0000', payload: 'p\u0000', alertId: 'a\u0000' })]);
    assert.equal(o?.seq, 1);
    await s.updateOrders([{ agentId: '001', seq: 1, update: { state: 'delivered', note: 'n\u0000' } }]);
    const order = await s.getOrder('001', 1);
    assert.deepEqual(
      [order?.key, order?.payload, order?.alertId, order?.note, order?.state],
      ['k\ufffd', 'p\ufffd', 'a\ufffd', 'n\ufffd', 'delivered'],
    );
  } finally {
    await s.close();
  }
});

void test('an audit row with a NUL in its path or agent list is stored, as U+FFFD', async () => {
  server ??= startPgServer();
  const api = await openPgApiStore((await server).url, { schema: `text_case_${++schemas}` });
  try {
    await api.audit.append({
      at: 1,
      tokenId: undefined,
      tokenName: undefined,
      role: undefined,
      method: 'POST',
      path: '/active-responses/x\u0000/revert',
      status: 404,
      agents: '00\u00001',
      remote: undefined,
    });
    const [row] = await api.audit.list(1);
    assert.deepEqual([row?.path, row?.agents], ['/active-responses/x\ufffd/revert', '00\ufffd1']);
  } finally {
    await api.close();
  }
});
