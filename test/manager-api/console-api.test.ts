/**
 * The API features behind the web console, in-process (fastify inject, fake service):
 * sign-in sessions (HttpOnly SameSite=Strict cookie, CSRF on every state change, roles, audit),
 * security headers and cached assets, paged/filtered active responses, execution filters and
 * exports, overview, rules and explain, and the live execution stream (over a real socket).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/load-config.js';
import { CONTENT_SECURITY_POLICY } from '../../src/manager-api/security-headers.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { active, execution } from './fake-manager-service.js';
import type { FleetActiveResponse } from '../../src/protocol/fleet-records.js';

let f: ApiFixture;

/** Replaces the fleet's active responses as the runtime reports them: one `active-list` per agent. */
function setActives(rows: FleetActiveResponse[]): void {
  f.service.actives = rows;
  for (const agentId of ['001', '002']) {
    f.service.emit({ type: 'active-list', agentId, items: rows.filter((a) => a.agentId === agentId) });
  }
}

before(async () => {
  f = await apiFixture();
  f.service.configValue = await loadConfig('examples/ossec.conf', 'manager');
});
after(async () => {
  await f.close();
});

interface SignedIn {
  cookie: string;
  csrf: string;
  body: { name: string; role: string; csrf: string };
}

async function signIn(role: 'read' | 'operator' | 'admin'): Promise<SignedIn> {
  const res = await f.app.inject({ method: 'POST', url: '/session', payload: { token: f.tokens[role] } });
  assert.equal(res.statusCode, 201, res.body);
  const setCookie = String(res.headers['set-cookie']);
  const body = res.json<SignedIn['body']>();
  return { cookie: setCookie.split(';', 1)[0] ?? '', csrf: body.csrf, body };
}

void describe('console sessions', () => {
  test('a valid token opens a session: HttpOnly, Secure, SameSite=Strict cookie, no token in the answer', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/session', payload: { token: f.tokens.read } });
    assert.equal(res.statusCode, 201);
    const cookie = String(res.headers['set-cookie']);
    assert.match(
      cookie,
      /^riposte_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=\d+$/,
    );
    assert.doesNotMatch(res.body, new RegExp(f.tokens.read.split('.')[1] ?? 'x'));
    assert.equal(res.json<{ role: string }>().role, 'read');
  });

  test('an unknown token is refused with 401 and no cookie', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/session',
      payload: { token: 'abcdefabcdef.nope' },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('the cookie authenticates reads; GET /session returns the CSRF token', async () => {
    const s = await signIn('operator');
    const me = await f.app.inject({ method: 'GET', url: '/session', headers: { cookie: s.cookie } });
    assert.equal(me.statusCode, 200);
    const who = me.json<{ name: string; role: string; csrf: string }>();
    assert.deepEqual([who.name, who.role, who.csrf], ['operator-token', 'operator', s.csrf]);
    const list = await f.app.inject({
      method: 'GET',
      url: '/active-responses',
      headers: { cookie: s.cookie },
    });
    assert.equal(list.statusCode, 200);
  });

  test('a state change from a session without the CSRF token is refused (403) and audited', async () => {
    const s = await signIn('operator');
    const url = '/active-responses/firewall-drop-10.0.0.1?agent=001';
    const before = f.service.callsOf('revert').length;
    const noCsrf = await f.app.inject({ method: 'DELETE', url, headers: { cookie: s.cookie } });
    assert.equal(noCsrf.statusCode, 403);
    const wrong = await f.app.inject({
      method: 'DELETE',
      url,
      headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(43) },
    });
    assert.equal(wrong.statusCode, 403);
    assert.equal(f.service.callsOf('revert').length, before, 'nothing reverted');
    const [last] = f.store.audit.list(1);
    assert.equal(last?.status, 403);
    assert.equal(last?.tokenName, 'operator-token');
  });

  test('a revert from a session with the CSRF token is accepted and audited with the user', async () => {
    const s = await signIn('operator');
    const res = await f.app.inject({
      method: 'DELETE',
      url: '/active-responses/firewall-drop-10.0.0.1?agent=001',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    assert.equal(res.statusCode, 202, res.body);
    const [last] = f.store.audit.list(1);
    assert.equal(last?.tokenName, 'operator-token');
    assert.equal(last?.path, '/active-responses/firewall-drop-10.0.0.1');
    assert.equal(last?.agents, '001');
    assert.equal(last?.status, 202);
  });

  test('a read-only session cannot revert, even with the CSRF token', async () => {
    const s = await signIn('read');
    const res = await f.app.inject({
      method: 'DELETE',
      url: '/active-responses/firewall-drop-10.0.0.1?agent=001',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'AUTH_FORBIDDEN');
  });

  test('sign-out ends the session; a revoked token ends its sessions', async () => {
    const s = await signIn('read');
    const out = await f.app.inject({
      method: 'DELETE',
      url: '/session',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    const after = await f.app.inject({ method: 'GET', url: '/session', headers: { cookie: s.cookie } });
    assert.equal(after.statusCode, 401);
    const admin = await signIn('admin');
    const minted = await f.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: f.auth('admin'),
      payload: { name: 'temp', role: 'read' },
    });
    const t = minted.json<{ id: string; token: string }>();
    const res = await f.app.inject({ method: 'POST', url: '/session', payload: { token: t.token } });
    const cookie = String(res.headers['set-cookie']).split(';', 1)[0] ?? '';
    await f.app.inject({
      method: 'DELETE',
      url: `/tokens/${t.id}`,
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf },
    });
    const gone = await f.app.inject({ method: 'GET', url: '/session', headers: { cookie } });
    assert.equal(gone.statusCode, 401);
  });
});

void describe('console pages and headers', () => {
  test('GET /console/ is served with a strict CSP, no-cache; hashed assets are immutable', async () => {
    const page = await f.app.inject({ method: 'GET', url: '/console/' });
    assert.equal(page.statusCode, 200, 'run npm run build first');
    assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const src = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    assert.ok(src !== undefined);
    const js = await f.app.inject({ method: 'GET', url: src });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
  });

  test('paths outside the console directory are refused', async () => {
    for (const url of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/assets/../../x',
    ]) {
      const res = await f.app.inject({ method: 'GET', url });
      assert.notEqual(res.statusCode, 200, url);
    }
  });
});

void describe('GET /active-responses pages', () => {
  test('filters by CIDR and user, sorts, and pages with a cursor without repeats or gaps', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({
      ...active(`firewall-drop-10.1.0.${i}`, i % 2 === 0 ? '001' : '002', `10.1.0.${i}`),
      createdAt: 1000 + (i % 5),
      user: i % 3 === 0 ? 'mallory' : undefined,
    }));
    setActives([...rows, active('firewall-drop-192.0.2.1', '001', '192.0.2.1')]);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const q = `ip=10.1.0.0/16&sort=since&order=desc&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await f.app.inject({
        method: 'GET',
        url: `/active-responses?${q}`,
        headers: f.auth('read'),
      });
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json<{
        items: { key: string; createdAt: string }[];
        total: number;
        nextCursor?: string;
      }>();
      assert.equal(page.total, 25);
      seen.push(...page.items.map((a) => a.key));
      cursor = page.nextCursor;
      if (cursor === undefined) {
        break;
      }
    }
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
    const users = await f.app.inject({
      method: 'GET',
      url: '/active-responses?user=mallory&limit=100',
      headers: f.auth('read'),
    });
    assert.equal(users.json<{ total: number }>().total, 9);
    const bad = await f.app.inject({
      method: 'GET',
      url: '/active-responses?ip=10.1.0.0/99&limit=5',
      headers: f.auth('read'),
    });
    assert.equal(bad.statusCode, 400);
  });
});

void describe('active index follows the events', () => {
  test('a put shows at once, a removal disappears at once', async () => {
    setActives([]);
    const list = async (): Promise<string[]> =>
      (await f.app.inject({ method: 'GET', url: '/active-responses?limit=10', headers: f.auth('read') }))
        .json<{ items: { key: string }[] }>()
        .items.map((a) => a.key);
    f.service.emit({
      type: 'active',
      agentId: '002',
      put: active('firewall-drop-10.9.9.9', '002', '10.9.9.9'),
    });
    assert.deepEqual(await list(), ['firewall-drop-10.9.9.9']);
    f.service.emit({ type: 'active', agentId: '002', removedKey: 'firewall-drop-10.9.9.9' });
    assert.deepEqual(await list(), []);
  });
});

void describe('history filters, overview, rules, explain', () => {
  test('GET /executions filters by outcome and exports CSV and NDJSON', async () => {
    f.service.executions = [
      { ...execution('001', 2), status: 'failed', exitCode: 1, note: '=cmd()' },
      execution('001', 1),
    ];
    const failed = await f.app.inject({
      method: 'GET',
      url: '/executions?status=failed',
      headers: f.auth('read'),
    });
    assert.deepEqual(
      failed.json<{ items: { id: number }[] }>().items.map((e) => e.id),
      [2],
    );
    const csv = await f.app.inject({ method: 'GET', url: '/executions?format=csv', headers: f.auth('read') });
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1] ?? '', /,'=cmd\(\),/, 'formula-like text is neutralised');
    const nd = await f.app.inject({
      method: 'GET',
      url: '/executions?format=ndjson',
      headers: f.auth('read'),
    });
    assert.equal(nd.body.trim().split('\n').length, 2);
  });

  test('GET /overview counts active responses and lists disconnected agents', async () => {
    setActives([active('k1', '001', '10.0.0.1'), active('k2', '002', '10.0.0.1')]);
    const res = await f.app.inject({ method: 'GET', url: '/overview', headers: f.auth('read') });
    const o = res.json<{
      activeTotal: number;
      topSourceIps: { name: string; count: number }[];
      disconnectedAgents: { id: string }[];
      perMinute: { minutes: string[] };
    }>();
    assert.equal(o.activeTotal, 2);
    assert.deepEqual(o.topSourceIps, [{ name: '10.0.0.1', count: 2 }]);
    assert.deepEqual(
      o.disconnectedAgents.map((a) => a.id),
      ['002'],
    );
    assert.equal(o.perMinute.minutes.length, 24 * 60);
    const agents = await f.app.inject({ method: 'GET', url: '/agents', headers: f.auth('read') });
    const counts = agents
      .json<{ items: { id: string; activeCount: number }[] }>()
      .items.map((a) => [a.id, a.activeCount]);
    assert.deepEqual(counts, [
      ['001', 1],
      ['002', 1],
    ]);
  });

  test('GET /rules lists the loaded blocks; POST /explain answers like riposte explain --json', async () => {
    const rules = await f.app.inject({ method: 'GET', url: '/rules', headers: f.auth('read') });
    assert.equal(rules.statusCode, 200);
    assert.ok(rules.json<{ rules: unknown[] }>().rules.length > 0);
    const alert = {
      rule: { level: 10, id: '5763', groups: ['sshd', 'authentication_failures'] },
      agent: { id: '001', name: 'web' },
      id: '1.2',
      data: { srcip: '203.0.113.9' },
    };
    const s = await signIn('read');
    const res = await f.app.inject({
      method: 'POST',
      url: '/explain',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
      payload: { alert },
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ alert_id: string; responses: { fires: boolean; reason: string }[] }>();
    assert.equal(body.alert_id, '1.2');
    assert.ok(body.responses.length > 0);
    assert.ok(body.responses.every((r) => typeof r.reason === 'string' && r.reason !== ''));
  });
});

void describe('GET /executions/stream', () => {
  test('sends each reported execution as a server-sent event', async () => {
    const server = http.createServer((req, res) => {
      f.app.routing(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const got = await new Promise<string>((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port, path: '/executions/stream?agent=001', headers: f.auth('read') },
          (res) => {
            assert.equal(res.statusCode, 200);
            assert.match(String(res.headers['content-type']), /^text\/event-stream/);
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buf += chunk;
              if (buf.includes('riposte executions')) {
                // Subscribed: emit one for another agent (filtered out), then one for 001.
                f.service.emit({
                  type: 'execution',
                  agentId: '002',
                  status: 'ok',
                  execution: execution('002', 9),
                });
                f.service.emit({
                  type: 'execution',
                  agentId: '001',
                  status: 'ok',
                  execution: execution('001', 7),
                });
                buf = buf.replace('riposte executions', '');
              }
              const m = /event: execution\ndata: (.*)\n\n/.exec(buf);
              if (m) {
                req.destroy();
                resolve(m[1] ?? '');
              }
            });
          },
        );
        req.on('error', reject);
      });
      const e = JSON.parse(got) as { agentId: string; id: number };
      assert.deepEqual([e.agentId, e.id], ['001', 7]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
