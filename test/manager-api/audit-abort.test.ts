/**
 * A state-changing request whose client closes its connection before the answer is audited too,
 * once, with CLIENT_CLOSED_STATUS (499) and the caller's token: before, the entry was written only
 * once the response was sent (fastify's onResponse, which never runs for an aborted request), so
 * "send, then close" left the action done and no trace. The handlers here take a while (a gated
 * service call, a slow token store: what every handler on a PostgreSQL store is), as on a cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { apiFixture, served } from './api-fixture.js';
import { CLIENT_CLOSED_STATUS } from '../../src/manager-api/audit-hook.js';
import { mintApiToken } from '../../src/manager-api/api-tokens.js';
import { waitFor } from '../manager/support/fleet.js';

/** Writes the raw request `head` on a new connection and destroys it once written. */
function sendAndClose(port: number, head: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(head, () => {
        s.destroy();
        resolve();
      });
    });
    s.on('error', () => {
      resolve();
    });
  });
}

const request = (method: string, path: string, token: string): string =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`;

test('a revert whose client left before the answer is audited once, as 499, with its token', async () => {
  const f = await apiFixture();
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const revert = f.service.revert.bind(f.service);
  let entered = 0;
  let reverted = 0;
  f.service.revert = async (key, agentId) => {
    entered++;
    await gate;
    reverted++;
    return revert(key, agentId);
  };
  try {
    await served(f, async (port) => {
      const path = '/active-responses/firewall-drop-10.0.0.1?agent=001';
      await sendAndClose(port, request('DELETE', path, f.tokens.operator));
      await waitFor('the revert to be called', 30_000, () => entered === 1);
      // Written while the handler still waits: the entry does not depend on it finishing.
      const entry = await waitFor('an audit entry', 30_000, () => f.store.audit.list(10)[0]);
      release();
      await waitFor('the revert to run', 30_000, () => reverted === 1);
      assert.equal(entry.status, CLIENT_CLOSED_STATUS);
      assert.equal(entry.tokenName, 'operator-token');
      assert.equal(entry.method, 'DELETE');
      assert.equal(entry.path, '/active-responses/firewall-drop-10.0.0.1');
      assert.equal(entry.agents, '001');
      // The handler's answer, sent to no one, writes no second entry.
      await f.app.inject({
        method: 'POST',
        url: '/tokens',
        headers: f.auth('admin'),
        payload: { name: 'x', role: 'read' },
      });
      assert.deepEqual(
        f.store.audit.list(10).map((e) => `${e.method} ${e.path} ${e.status}`),
        ['POST /tokens 201', `DELETE /active-responses/firewall-drop-10.0.0.1 ${CLIENT_CLOSED_STATUS}`],
      );
    });
  } finally {
    release();
    await f.close();
  }
});

test('revocations sent and closed during a slow token check are all done and all audited', async () => {
  let slowMs = 0;
  const f = await apiFixture({
    tokensFor: (t) => ({
      ...t,
      get: async (id) => {
        await new Promise((resolve) => setTimeout(resolve, slowMs));
        return t.get(id);
      },
    }),
  });
  try {
    const victims: string[] = [];
    for (let i = 0; i < 5; i++) {
      const minted = await mintApiToken(f.store.tokens, {
        name: `soc-${i}`,
        role: 'operator',
        now: f.clock.now,
      });
      victims.push(minted.record.id);
    }
    slowMs = 200; // the client is gone while its token is looked up, as on a PostgreSQL store
    await served(f, async (port) => {
      for (const id of victims) {
        await sendAndClose(port, request('DELETE', `/tokens/${id}`, f.tokens.admin));
      }
      await waitFor('the five revocations', 30_000, () =>
        f.store.tokens.list().every((t) => !t.name.startsWith('soc-')),
      );
      const entries = await waitFor('five audit entries', 30_000, () => {
        const all = f.store.audit.list(100);
        return all.length >= 5 ? all : undefined;
      });
      assert.deepEqual(
        entries.map((e) => `${e.tokenName ?? '-'} ${e.method} ${e.path} ${e.status}`).sort(),
        victims.map((id) => `admin-token DELETE /tokens/${id} ${CLIENT_CLOSED_STATUS}`).sort(),
      );
    });
  } finally {
    await f.close();
  }
});
