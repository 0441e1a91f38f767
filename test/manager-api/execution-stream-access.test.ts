/**
 * An open execution feed (`GET /executions/stream`) ends when its credentials stop being valid:
 * at once when its token is revoked or its console session signed out through this API, and at the
 * next heartbeat when its token expires. Before, authorization was checked once, at the request:
 * a revoked token kept receiving every execution for as long as the connection stayed up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { apiFixture, served, type ApiFixture } from './api-fixture.js';
import { execution } from './fake-manager-service.js';
import { waitFor } from '../manager/support/fleet.js';

interface Feed {
  readonly status: number;
  /** Everything received so far. */
  text(): string;
  ended(): boolean;
  close(): void;
}

/** Opens a feed with `headers`; resolves once its first bytes arrived. */
function openFeed(port: number, headers: Record<string, string>): Promise<Feed> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/executions/stream', headers }, (res) => {
      let text = '';
      let ended = false;
      const done = (): void => {
        ended = true;
      };
      res.on('end', done);
      res.on('close', done);
      res.once('data', () => {
        resolve({
          status: res.statusCode ?? 0,
          text: () => text,
          ended: () => ended,
          close: () => req.destroy(),
        });
      });
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
    });
    req.on('error', reject);
  });
}

/** Reports an execution from agent 001 with source address `srcip`. */
function report(f: ApiFixture, srcip: string): void {
  f.service.emit({
    type: 'execution',
    agentId: '001',
    status: 'ok',
    execution: { ...execution('001', 7), srcip },
  } as never);
}

async function mint(f: ApiFixture, ttl?: number): Promise<{ id: string; token: string }> {
  const res = await f.app.inject({
    method: 'POST',
    url: '/tokens',
    headers: f.auth('admin'),
    payload: { name: 'feed-reader', role: 'read', ...(ttl === undefined ? {} : { ttl }) },
  });
  assert.equal(res.statusCode, 201);
  return res.json<{ id: string; token: string }>();
}

test('revoking a token through the API ends its open feed at once; other feeds go on', async () => {
  const f = await apiFixture(); // heartbeat 15 s: only the revocation can end the feed in time
  try {
    const { id, token } = await mint(f);
    await served(f, async (port) => {
      const feed = await openFeed(port, { authorization: `Bearer ${token}` });
      const other = await openFeed(port, f.auth('read'));
      assert.equal(feed.status, 200);
      report(f, '198.51.100.1');
      await waitFor('the first execution', 30_000, () => feed.text().includes('198.51.100.1'));
      const del = await f.app.inject({ method: 'DELETE', url: `/tokens/${id}`, headers: f.auth('admin') });
      assert.equal(del.statusCode, 204);
      await waitFor('the revoked feed to end', 10_000, () => feed.ended());
      report(f, '198.51.100.2');
      await waitFor('the other feed to get it', 30_000, () => other.text().includes('198.51.100.2'));
      assert.ok(!feed.text().includes('198.51.100.2'), 'nothing after the revocation');
      assert.ok(!other.ended());
      other.close();
    });
  } finally {
    await f.close();
  }
});

test('a feed whose token expired ends at its next heartbeat; a valid one keeps its heartbeats', async () => {
  const f = await apiFixture({ feedHeartbeatMs: 100 });
  try {
    const { token } = await mint(f, 60);
    await served(f, async (port) => {
      const feed = await openFeed(port, { authorization: `Bearer ${token}` });
      const other = await openFeed(port, f.auth('read'));
      await waitFor('two heartbeats', 30_000, () => feed.text().split(': heartbeat').length > 2);
      assert.ok(!feed.ended(), 'valid: kept open');
      f.clock.now += 61_000;
      await waitFor('the expired feed to end', 30_000, () => feed.ended());
      const beats = other.text().split(': heartbeat').length;
      await waitFor(
        'more heartbeats on the valid feed',
        30_000,
        () => other.text().split(': heartbeat').length > beats + 1,
      );
      assert.ok(!other.ended());
      other.close();
    });
  } finally {
    await f.close();
  }
});

test("signing out of the console ends the session's open feed at once", async () => {
  const f = await apiFixture();
  try {
    const signIn = await f.app.inject({ method: 'POST', url: '/session', payload: { token: f.tokens.read } });
    assert.equal(signIn.statusCode, 201);
    const cookie = String(signIn.headers['set-cookie']).split(';', 1)[0] ?? '';
    const csrf = signIn.json<{ csrf: string }>().csrf;
    await served(f, async (port) => {
      const feed = await openFeed(port, { cookie });
      assert.equal(feed.status, 200);
      const out = await f.app.inject({
        method: 'DELETE',
        url: '/session',
        headers: { cookie, 'x-csrf-token': csrf },
      });
      assert.equal(out.statusCode, 204);
      await waitFor('the signed-out feed to end', 10_000, () => feed.ended());
    });
  } finally {
    await f.close();
  }
});
