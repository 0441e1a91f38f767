/**
 * Issue 13: `GET /active-responses` without paging parameters no longer answers every row. With
 * more active responses than the cap (1,000), the plain request gets one page and a `nextCursor`
 * (manager API and a bare agent's local API alike); `riposte ar list` and `ar revert --all` follow
 * the cursors, so the user still sees (and reverts) every active response.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildAgentApi } from '../../src/api/build-agent-api.js';
import { remoteArList, remoteArRevert } from '../../src/cli/commands/manager-ar.js';
import type { RemoteClient } from '../../src/cli/remote-client.js';
import type { AgentVerbs } from '../../src/local/agent-verbs.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { UNPAGED_LIMIT } from '../../src/manager-api/routes/active-responses.js';
import type { FleetActiveResponse } from '../../src/protocol/fleet-records.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { active } from './fake-manager-service.js';

/** More rows than the cap, over two agents, with distinct start times. */
const ROWS = 2 * UNPAGED_LIMIT + 345;

function rows(): FleetActiveResponse[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    ...active(
      `firewall-drop-10.7.${i >> 8}.${i & 255}`,
      i % 2 === 0 ? '001' : '002',
      `10.7.${i >> 8}.${i & 255}`,
    ),
    createdAt: 1_000 + i,
  }));
}

interface Page {
  items: { key: string }[];
  total: number;
  nextCursor?: string;
}

/** A RemoteClient answering through `app.inject` (the CLI code above it is the real one). */
function injectClient(app: FastifyInstance, headers: Record<string, string>): RemoteClient {
  return {
    url: new URL('https://127.0.0.1/'),
    call: async <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string): Promise<T> => {
      const res = await app.inject({ method, url: path, headers });
      assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${res.body}`);
      return res.json<T>();
    },
  };
}

async function getPage(app: FastifyInstance, url: string, headers: Record<string, string>): Promise<Page> {
  const res = await app.inject({ method: 'GET', url, headers });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Page>();
}

void describe('manager API: GET /active-responses is capped', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
    const all = rows();
    f.service.actives = all;
    for (const agentId of ['001', '002']) {
      f.service.emit({ type: 'active-list', agentId, items: all.filter((a) => a.agentId === agentId) });
    }
  });
  after(async () => {
    await f.close();
  });

  test('a plain request gets the cap and a cursor; following it yields every row once', async () => {
    const first = await getPage(f.app, '/active-responses', f.auth('read'));
    assert.equal(first.items.length, UNPAGED_LIMIT);
    assert.equal(first.total, ROWS);
    assert.ok(first.nextCursor !== undefined);
    const seen = first.items.map((a) => a.key);
    let cursor: string | undefined = first.nextCursor;
    while (cursor !== undefined) {
      const page = await getPage(f.app, `/active-responses?cursor=${cursor}`, f.auth('read'));
      assert.ok(page.items.length <= UNPAGED_LIMIT);
      seen.push(...page.items.map((a) => a.key));
      cursor = page.nextCursor;
    }
    assert.equal(seen.length, ROWS);
    assert.equal(new Set(seen).size, ROWS);
  });

  test('an agent filter is capped too', async () => {
    const page = await getPage(f.app, '/active-responses?agent=001', f.auth('read'));
    assert.equal(page.items.length, UNPAGED_LIMIT);
    assert.equal(page.total, Math.ceil(ROWS / 2));
  });

  test('riposte ar list follows the cursors and prints every active response', async () => {
    const printed: string[] = [];
    await remoteArList({
      client: injectClient(f.app, f.auth('read')),
      json: true,
      out: (t) => void printed.push(t),
      now: 0,
    });
    const keys = printed
      .join('')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { key: string }).key);
    assert.equal(keys.length, ROWS);
    assert.equal(new Set(keys).size, ROWS);
  });

  test('riposte ar revert --all reverts every active response, not only the first page', async () => {
    const before = f.service.callsOf('revert').length;
    await remoteArRevert(undefined, {
      all: true,
      agent: '002',
      client: injectClient(f.app, f.auth('operator')),
      json: true,
      out: () => undefined,
    });
    assert.equal(f.service.callsOf('revert').length - before, Math.floor(ROWS / 2));
  });
});

void describe("a bare agent's local API: GET /active-responses is capped", () => {
  const all = rows().map((a) => ({ ...a, agentId: '000' }));
  const verbs = { listActive: () => all } as unknown as AgentVerbs;
  const app = buildAgentApi({ verbs, token: 'tok', log: memoryDaemonLog() });
  const headers = { authorization: 'Bearer tok' };
  after(async () => {
    await app.close();
  });

  test('a plain request gets the cap and a cursor; following it yields every row once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await getPage(
        app,
        `/active-responses${cursor === undefined ? '' : `?cursor=${cursor}`}`,
        headers,
      );
      assert.equal(page.total, ROWS);
      assert.ok(page.items.length <= UNPAGED_LIMIT);
      seen.push(...page.items.map((a) => a.key));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    assert.equal(pages, Math.ceil(ROWS / UNPAGED_LIMIT));
    assert.equal(new Set(seen).size, ROWS);
  });
});
