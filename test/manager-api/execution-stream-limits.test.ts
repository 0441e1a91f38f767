/**
 * The execution feed (`GET /executions/stream`) and the API's limits: an open feed never ends by
 * design, so it is capped on its own (100 feeds) and does not hold one of the 32 read slots (a
 * console tab each would otherwise refuse every read, the liveness probe included); and a client
 * gone while its request was being authenticated leaves no feed behind (its 'close' had fired, so
 * nothing would have ended it: 100 of them refused every later feed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { apiFixture, served } from './api-fixture.js';
import { MAX_CONCURRENT_READS } from '../../src/manager-api/read-limit.js';
import { MAX_STREAMS } from '../../src/manager-api/routes/execution-stream.js';
import { waitFor } from '../manager/support/fleet.js';

/** GET `path`; resolves with the status once the first body bytes (or the end) arrive. */
function firstBytes(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.once('data', () => {
        resolve({ status: res.statusCode ?? 0, req });
      });
      res.once('end', () => {
        resolve({ status: res.statusCode ?? 0, req });
      });
    });
    req.on('error', reject);
  });
}

test('open execution feeds take no read slot: reads and the liveness probe still answer', async () => {
  const f = await apiFixture();
  try {
    await served(f, async (port) => {
      const feeds = [];
      for (let i = 0; i < MAX_CONCURRENT_READS + 8; i++) {
        feeds.push(await firstBytes(port, '/executions/stream', f.auth('read')));
      }
      assert.ok(
        feeds.every((s) => s.status === 200),
        '40 feeds open',
      );
      assert.equal((await firstBytes(port, '/healthz', {})).status, 200);
      assert.equal((await firstBytes(port, '/executions?limit=1', f.auth('read'))).status, 200);
      for (const s of feeds) {
        s.req.destroy();
      }
    });
  } finally {
    await f.close();
  }
});

test('a client gone while its feed request was authenticated leaves no feed open', async () => {
  let entered = 0;
  let handled = 0;
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let slow = true;
  const f = await apiFixture({
    tokensFor: (t) => ({
      ...t,
      get: async (id) => {
        if (slow) {
          entered++;
          await gate;
          handled++;
        }
        return t.get(id);
      },
    }),
  });
  try {
    await served(f, async (port, server) => {
      const reqs = Array.from({ length: MAX_STREAMS }, () => {
        const req = http.get({
          host: '127.0.0.1',
          port,
          path: '/executions/stream',
          headers: f.auth('read'),
        });
        req.on('error', () => undefined);
        return req;
      });
      await waitFor(
        'every request in its authentication',
        10_000,
        () => entered === MAX_STREAMS || undefined,
      );
      for (const req of reqs) {
        req.destroy();
      }
      const open = (): Promise<number> =>
        new Promise((resolve) => {
          server.getConnections((_err, n) => {
            resolve(n);
          });
        });
      await waitFor(
        'the server to see every client go',
        10_000,
        async () => (await open()) === 0 || undefined,
      );
      slow = false;
      release();
      // The handlers run on the closed sockets: each is authenticated again (not slow now) first.
      await waitFor('the released requests handled', 10_000, () => handled === MAX_STREAMS || undefined);
      const next = await firstBytes(port, '/executions/stream', f.auth('read'));
      assert.equal(next.status, 200, `a new feed is served (${MAX_STREAMS} gone ones did not stay open)`);
      next.req.destroy();
    });
  } finally {
    release();
    await f.close();
  }
});

/** GET `path` to the end: status, retry-after and body (for a refusal, which ends at once). */
function whole(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () => {
        const retry = res.headers['retry-after'];
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: typeof retry === 'string' ? retry : undefined,
          body,
        });
      });
    });
    req.on('error', reject);
  });
}

test(`past ${MAX_STREAMS} open feeds the next is refused (503, retry later); a feed that ends frees its place`, async () => {
  const f = await apiFixture();
  try {
    await served(f, async (port) => {
      const feeds = [];
      for (let i = 0; i < MAX_STREAMS; i++) {
        feeds.push(await firstBytes(port, '/executions/stream', f.auth('read')));
      }
      assert.ok(feeds.every((s) => s.status === 200));
      const refused = await whole(port, '/executions/stream', f.auth('read'));
      assert.equal(refused.status, 503);
      assert.equal(refused.retryAfter, '5');
      const error = (JSON.parse(refused.body) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'DAEMON_UNREACHABLE');
      assert.match(error.message, /Too many open execution streams \(100\); retry later/);
      assert.equal(
        (await firstBytes(port, '/executions?limit=1', f.auth('read'))).status,
        200,
        'reads still served',
      );
      feeds.pop()?.req.destroy();
      const next = await waitFor('a place freed by the feed that ended', 10_000, async () => {
        const r = await firstBytes(port, '/executions/stream', f.auth('read'));
        if (r.status === 200) {
          return r;
        }
        r.req.destroy();
        return undefined;
      });
      next.req.destroy();
      for (const s of feeds) {
        s.req.destroy();
      }
    });
  } finally {
    await f.close();
  }
});
