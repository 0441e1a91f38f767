/**
 * Authentication, roles and the audit trail of the manager's REST API.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { ROLES, type Role } from '../../src/protocol/api-access.js';
import { mintApiToken } from '../../src/manager-api/api-tokens.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

/** One representative request per route, with the minimum role the route must require. */
const ROUTES: readonly { readonly req: InjectOptions & { url: string }; readonly role: Role }[] = [
  {
    req: { method: 'PUT', url: '/active-response', payload: { command: 'firewall-drop600' } },
    role: 'operator',
  },
  { req: { method: 'GET', url: '/active-responses' }, role: 'read' },
  { req: { method: 'DELETE', url: '/active-responses/firewall-drop-10.0.0.1' }, role: 'operator' },
  { req: { method: 'GET', url: '/executions' }, role: 'read' },
  { req: { method: 'GET', url: '/orders' }, role: 'read' },
  { req: { method: 'GET', url: '/agents' }, role: 'read' },
  { req: { method: 'GET', url: '/agents/001' }, role: 'read' },
  { req: { method: 'DELETE', url: '/agents/001' }, role: 'admin' },
  { req: { method: 'POST', url: '/agents/tokens', payload: { name: 'x' } }, role: 'admin' },
  { req: { method: 'POST', url: '/alerts', payload: { rule: { id: '1' } } }, role: 'operator' },
  { req: { method: 'GET', url: '/metrics' }, role: 'read' },
  { req: { method: 'POST', url: '/tokens', payload: { name: 'n', role: 'read' } }, role: 'admin' },
  { req: { method: 'GET', url: '/tokens' }, role: 'admin' },
  { req: { method: 'DELETE', url: '/tokens/0123456789ab' }, role: 'admin' },
];

function withAuth(req: InjectOptions, headers: Record<string, string>): InjectOptions {
  return { ...req, headers: { ...(req.headers as Record<string, string> | undefined), ...headers } };
}

void describe('manager API authentication and roles', () => {
  let f: ApiFixture;
  beforeEach(async () => {
    f = await apiFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  for (const { req, role } of ROUTES) {
    const name = `${String(req.method)} ${req.url}`;
    void test(`${name}: 401 without a token, 403 below "${role}", not 401/403 at "${role}"`, async () => {
      const anon = await f.app.inject(req);
      assert.equal(anon.statusCode, 401);
      assert.equal(anon.json<{ error: { code: string } }>().error.code, 'AUTH_REQUIRED');
      for (const r of ROLES) {
        const res = await f.app.inject(withAuth(req, f.auth(r)));
        if (ROLES.indexOf(r) < ROLES.indexOf(role)) {
          assert.equal(res.statusCode, 403, `${r} on ${name}`);
          const err = res.json<{ error: { code: string; message: string } }>().error;
          assert.equal(err.code, 'AUTH_FORBIDDEN');
          assert.match(err.message, new RegExp(`needs "${role}"`));
        } else {
          assert.ok(res.statusCode !== 401 && res.statusCode !== 403, `${r} on ${name}: ${res.statusCode}`);
        }
      }
    });
  }

  void test('unknown, malformed, wrong-secret and non-Bearer tokens are all 401 with the same message', async () => {
    const id = f.tokens.admin.split('.')[0]!;
    const bad = [
      'Bearer 0123456789ab.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `Bearer ${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
      'Bearer garbage',
      `Basic ${f.tokens.admin}`,
      `Bearer  ${f.tokens.admin}`,
    ];
    const messages = new Set<string>();
    for (const authorization of bad) {
      const res = await f.app.inject({ method: 'GET', url: '/agents', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
      messages.add(res.json<{ error: { message: string } }>().error.message);
    }
    assert.equal(messages.size, 1);
  });

  void test('an expired token is refused from the millisecond after its expiry', async () => {
    const minted = await mintApiToken(f.store.tokens, {
      name: 'short',
      role: 'read',
      now: f.clock.now,
      ttlMs: 1000,
    });
    const headers = { authorization: `Bearer ${minted.token}` };
    f.clock.now += 1000;
    assert.equal((await f.app.inject({ method: 'GET', url: '/agents', headers })).statusCode, 200);
    f.clock.now += 1;
    assert.equal((await f.app.inject({ method: 'GET', url: '/agents', headers })).statusCode, 401);
  });

  void test('a 401 is answered before the body is read or validated', async () => {
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    assert.equal(res.statusCode, 401);
  });
});

void describe('manager API audit trail', () => {
  let f: ApiFixture;
  beforeEach(async () => {
    f = await apiFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  void test('state changes are audited with token name, role, path, status and agents; reads are not', async () => {
    await f.app.inject({ method: 'GET', url: '/agents', headers: f.auth('read') });
    await f.app.inject({ method: 'GET', url: '/active-responses?agent=001', headers: f.auth('read') });
    assert.equal(f.store.audit.list(10).length, 0);
    f.clock.now += 5;
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response?agents_list=001,002',
      headers: f.auth('operator'),
      payload: { command: 'firewall-drop600', alert: { data: { srcip: '10.0.0.1' } } },
    });
    assert.equal(res.statusCode, 200);
    const [entry] = f.store.audit.list(10);
    assert.deepEqual(entry, {
      at: f.clock.now,
      tokenId: f.tokens.operator.split('.')[0],
      tokenName: 'operator-token',
      role: 'operator',
      method: 'PUT',
      path: '/active-response',
      status: 200,
      agents: '001,002',
      remote: '127.0.0.1',
    });
  });

  void test('refused requests are audited too, without a token identity', async () => {
    await f.app.inject({ method: 'DELETE', url: '/agents/002' });
    await f.app.inject({ method: 'DELETE', url: '/agents/002', headers: f.auth('read') });
    const [forbidden, anonymous] = f.store.audit.list(10);
    assert.equal(anonymous?.status, 401);
    assert.equal(anonymous?.tokenId, undefined);
    assert.equal(anonymous?.agents, '002');
    assert.equal(forbidden?.status, 403);
    assert.equal(forbidden?.tokenName, 'read-token');
  });

  void test('audit rows never contain a token, a password or a body', async () => {
    await f.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: f.auth('admin'),
      payload: { name: 'ci', role: 'operator' },
    });
    await f.app.inject({
      method: 'POST',
      url: '/enroll',
      payload: { name: 'web', password: 'hunter2-password' },
    });
    await f.app.inject({
      method: 'POST',
      url: '/agents/tokens',
      headers: f.auth('admin'),
      payload: { name: 'web-03' },
    });
    const rows = f.store.audit.list(100);
    assert.equal(rows.length, 3);
    const text = JSON.stringify(rows);
    for (const secret of Object.values(f.tokens)) {
      assert.ok(!text.includes(secret.split('.')[1]!));
    }
    assert.ok(!text.includes('hunter2'));
    assert.ok(!text.includes('enroll-web-03'));
    assert.deepEqual(
      rows.map((r) => `${r.method} ${r.path} ${r.status}`),
      ['POST /agents/tokens 201', 'POST /enroll 201', 'POST /tokens 201'],
    );
  });
});
