/**
 * The in-memory active list (read-models.ts) on a node sharing its store: another node's agents'
 * responses reach it only through the store, so a request that finds the list older than
 * `activeRefreshMs` reads it again in the background (one read at a time). A single manager keeps
 * it by its own events and never reads it again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { active } from './fake-manager-service.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { waitFor } from '../manager/support/fleet.js';

async function listedKeys(f: ApiFixture, url = '/active-responses'): Promise<string[]> {
  const res = await f.app.inject({ method: 'GET', url, headers: f.auth('read') });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ items: { key: string }[] }>().items.map((i) => i.key);
}

test('a node sharing its store reads the active list again once it is older than activeRefreshMs', async () => {
  const f = await apiFixture({ activeRefreshMs: 2_000 });
  try {
    assert.deepEqual(await listedKeys(f), ['firewall-drop-10.0.0.1']);
    // Another node stores a response of its agent: no event here.
    f.service.actives = [...f.service.actives, active('firewall-drop-10.0.0.2', '002', '10.0.0.2')];
    assert.deepEqual(await listedKeys(f), ['firewall-drop-10.0.0.1'], 'not yet 2 s old');
    f.clock.now += 2_000;
    const reads = f.service.callsOf('listActive').length;
    // The request that finds the copy 2 s old starts one read (in the background).
    await waitFor('the list read again', 5_000, async () =>
      (await listedKeys(f)).length === 2 ? true : undefined,
    );
    const [overview, agents] = await Promise.all([
      f.app.inject({ method: 'GET', url: '/overview', headers: f.auth('read') }),
      f.app.inject({ method: 'GET', url: '/agents', headers: f.auth('read') }),
    ]);
    assert.equal(overview.json<{ activeTotal: number }>().activeTotal, 2);
    const counts = agents.json<{ items: { id: string; activeCount: number }[] }>().items;
    assert.equal(counts.find((a) => a.id === '002')?.activeCount, 1);
    assert.equal(f.service.callsOf('listActive').length - reads, 1, 'one read');
    f.clock.now -= 3_600_000;
    f.service.actives = [];
    await waitFor('a clock gone back: read again rather than never', 5_000, async () =>
      (await listedKeys(f)).length === 0 ? true : undefined,
    );
  } finally {
    await f.close();
  }
});

test('a single manager keeps the list by its events and never reads it again', async () => {
  const f = await apiFixture();
  try {
    assert.deepEqual(await listedKeys(f), ['firewall-drop-10.0.0.1']);
    f.service.actives = [];
    f.clock.now += 3_600_000;
    assert.deepEqual(await listedKeys(f), ['firewall-drop-10.0.0.1']);
    assert.equal(f.service.callsOf('listActive').length, 1);
  } finally {
    await f.close();
  }
});

test('a store that fails leaves the last copy: requests are answered from it, the failure logged once', async () => {
  const warnings: string[] = [];
  const none = (): void => undefined;
  const f = await apiFixture({
    activeRefreshMs: 2_000,
    log: { debug: none, info: none, warn: (m) => warnings.push(m), error: none, flush: none },
  });
  try {
    assert.deepEqual(await listedKeys(f), ['firewall-drop-10.0.0.1']);
    let tries = 0;
    f.service.listActive = () => {
      tries += 1;
      return Promise.reject(new Error('connection terminated'));
    };
    f.clock.now += 2_000;
    for (let i = 0; i < 3; i += 1) {
      assert.deepEqual(await listedKeys(f), ['firewall-drop-10.0.0.1']);
      await waitFor(`read ${i + 1} tried`, 5_000, () => (tries > i ? true : undefined));
    }
    assert.deepEqual(warnings, ['active list: cannot read it again from the store']);
  } finally {
    await f.close();
  }
});
