/**
 * Happy paths of every route of the manager's REST API, through app.inject() over a fake service.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { apiFixture, type ApiFixture } from './api-fixture.js';

void describe('manager API routes', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
  });
  after(async () => {
    await f.close();
  });

  void test('GET /active-responses applies the filters and lists the items', async () => {
    const res = await f.app.inject({
      method: 'GET',
      url: '/active-responses?agent=001&command=firewall-drop&ip=10.0.0.1',
      headers: f.auth('read'),
    });
    assert.equal(res.statusCode, 200);
    const body = res.json<{ items: { key: string }[]; total: number }>();
    assert.equal(body.total, 1);
    assert.equal(body.items[0]?.key, 'firewall-drop-10.0.0.1');
    for (const q of ['agent=002', 'command=route-null', 'ip=10.0.0.2', 'ip=::ffff:10.0.0.2']) {
      const other = await f.app.inject({
        method: 'GET',
        url: `/active-responses?${q}`,
        headers: f.auth('read'),
      });
      assert.equal(other.json<{ total: number }>().total, 0, q);
    }
    const mapped = await f.app.inject({
      method: 'GET',
      url: '/active-responses?ip=::ffff:10.0.0.1',
      headers: f.auth('read'),
    });
    assert.equal(mapped.json<{ total: number }>().total, 1);
  });

  void test('GET /active-responses with an invalid ip is a 400 REQUEST_INVALID', async () => {
    const res = await f.app.inject({
      method: 'GET',
      url: '/active-responses?ip=10.0.0.300',
      headers: f.auth('read'),
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'REQUEST_INVALID');
  });

  void test('DELETE /active-responses/:key queues revert orders (202)', async () => {
    const res = await f.app.inject({
      method: 'DELETE',
      url: '/active-responses/firewall-drop-10.0.0.1?agent=001',
      headers: f.auth('operator'),
    });
    assert.equal(res.statusCode, 202);
    const body = res.json<{ orders: { agentId: string; key: string }[] }>();
    assert.equal(body.orders.length, 1);
    assert.equal(body.orders[0]?.key, 'firewall-drop-10.0.0.1');
    assert.deepEqual(f.service.callsOf('revert').at(-1)?.args, ['firewall-drop-10.0.0.1', '001']);
  });

  void test('DELETE /active-responses/:key decodes the key and reverts on every agent without ?agent', async () => {
    const key = 'firewall-drop-2001:db8::1';
    f.service.actives = [...f.service.actives, { ...f.service.actives[0]!, key, agentId: '002' }];
    const res = await f.app.inject({
      method: 'DELETE',
      url: `/active-responses/${encodeURIComponent(key)}`,
      headers: f.auth('operator'),
    });
    assert.equal(res.statusCode, 202);
    assert.deepEqual(f.service.callsOf('revert').at(-1)?.args, [key, undefined]);
  });

  void test('DELETE /active-responses/:key for an unknown key is a 404 RESPONSE_NOT_FOUND', async () => {
    const res = await f.app.inject({
      method: 'DELETE',
      url: '/active-responses/nope',
      headers: f.auth('operator'),
    });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), {
      error: { code: 'RESPONSE_NOT_FOUND', message: 'Cannot revert "nope": no such active response' },
    });
  });

  void test('GET /executions applies the default limit and the agent filter', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/executions?agent=001', headers: f.auth('read') });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ total: number }>().total, 2);
    assert.deepEqual(f.service.callsOf('queryExecutions').at(-1)?.args, [{ agentId: '001', limit: 100 }]);
    const limited = await f.app.inject({
      method: 'GET',
      url: '/executions?limit=5',
      headers: f.auth('read'),
    });
    assert.equal(limited.statusCode, 200);
    assert.deepEqual(f.service.callsOf('queryExecutions').at(-1)?.args, [{ limit: 5 }]);
  });

  void test('GET /orders filters by state', async () => {
    const res = await f.app.inject({
      method: 'GET',
      url: '/orders?state=expired&limit=10',
      headers: f.auth('read'),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ items: { state: string }[] }>().items[0]?.state, 'expired');
    assert.deepEqual(f.service.callsOf('listOrders').at(-1)?.args, [{ state: 'expired', limit: 10 }]);
  });

  void test('GET /agents and GET /agents/:id', async () => {
    const list = await f.app.inject({ method: 'GET', url: '/agents', headers: f.auth('read') });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json<{ items: { id: string }[] }>().items.map((a) => a.id),
      f.service.agents.map((a) => a.id),
    );
    const one = await f.app.inject({ method: 'GET', url: '/agents/002', headers: f.auth('read') });
    assert.equal(one.json<{ status: string }>().status, 'disconnected');
    const missing = await f.app.inject({ method: 'GET', url: '/agents/099', headers: f.auth('read') });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, 'AGENT_NOT_FOUND');
  });

  void test('DELETE /agents/:id removes the agent and returns it', async () => {
    f.service.agents = [...f.service.agents, { ...f.service.agents[0]!, id: '007', name: 'doomed' }];
    const res = await f.app.inject({ method: 'DELETE', url: '/agents/007', headers: f.auth('admin') });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ status: string }>().status, 'removed');
    assert.deepEqual(f.service.callsOf('removeAgent').at(-1)?.args, ['007']);
  });

  void test('POST /agents/tokens creates an enrollment token with a ttl in ms (default 24 h)', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/agents/tokens',
      headers: f.auth('admin'),
      payload: { name: 'web-01' },
    });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json<{ token: string }>().token, 'enroll-web-01');
    assert.deepEqual(f.service.callsOf('addEnrollmentToken').at(-1)?.args, ['web-01', 86_400_000]);
    await f.app.inject({
      method: 'POST',
      url: '/agents/tokens',
      headers: f.auth('admin'),
      payload: { name: 'db', ttl: 60 },
    });
    assert.deepEqual(f.service.callsOf('addEnrollmentToken').at(-1)?.args, ['db', 60_000]);
  });

  void test('POST /enroll needs no API token and returns the credentials', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/enroll',
      payload: { name: 'web-02', password: 'secret-pass' },
      remoteAddress: '127.0.0.9',
    });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), { id: '003', name: 'web-02', cert: 'CERT', key: 'KEY', ca: 'CA' });
    assert.deepEqual(f.service.callsOf('enroll').at(-1)?.args, [
      { name: 'web-02', password: 'secret-pass' },
      '127.0.0.9',
    ]);
  });

  void test('POST /alerts takes one JSON alert', async () => {
    const alert = { id: '1.1', rule: { id: '5712', level: 10 }, data: { srcip: '10.0.0.1' } };
    const res = await f.app.inject({
      method: 'POST',
      url: '/alerts',
      headers: f.auth('operator'),
      payload: alert,
    });
    assert.equal(res.statusCode, 202);
    assert.equal(res.json<{ accepted: number }>().accepted, 1);
    assert.deepEqual(f.service.callsOf('ingestAlerts').at(-1)?.args, [[JSON.stringify(alert)]]);
  });

  void test('POST /alerts takes NDJSON lines and skips blank ones', async () => {
    const lines = ['{"id":"1","rule":{"id":"1"}}', '{"id":"2","rule":{"id":"2"}}'];
    const res = await f.app.inject({
      method: 'POST',
      url: '/alerts',
      headers: { ...f.auth('operator'), 'content-type': 'application/x-ndjson' },
      payload: `${lines[0]}\r\n\n${lines[1]}\n`,
    });
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json<{ received: number; orders: number }>(), {
      received: 3,
      accepted: 3,
      invalid: 0,
      dispatches: 3,
      orders: 6,
      errors: [],
      rejected: [],
    });
    // Blank lines are passed on (the service skips them) so that rejected line numbers match the body.
    assert.deepEqual(f.service.callsOf('ingestAlerts').at(-1)?.args, [[lines[0], '', lines[1]]]);
  });

  void test('POST /tokens returns a token once; GET /tokens lists without secrets; DELETE revokes', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: f.auth('admin'),
      payload: { name: 'grafana', role: 'read', ttl: 3600 },
    });
    assert.equal(created.statusCode, 201);
    const tok = created.json<{ id: string; token: string; role: string; expiresAt: string }>();
    assert.equal(tok.role, 'read');
    assert.equal(tok.expiresAt, new Date(f.clock.now + 3_600_000).toISOString());
    assert.match(tok.token, /^[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/);
    const usable = await f.app.inject({
      method: 'GET',
      url: '/agents',
      headers: { authorization: `Bearer ${tok.token}` },
    });
    assert.equal(usable.statusCode, 200);

    const list = await f.app.inject({ method: 'GET', url: '/tokens', headers: f.auth('admin') });
    assert.equal(list.statusCode, 200);
    assert.ok(list.json<{ items: { id: string }[] }>().items.some((t) => t.id === tok.id));
    assert.ok(!list.body.includes(tok.token.split('.')[1]!), 'the secret is never listed');
    assert.ok(!list.body.includes('secretHash'));

    const del = await f.app.inject({ method: 'DELETE', url: `/tokens/${tok.id}`, headers: f.auth('admin') });
    assert.equal(del.statusCode, 204);
    const revoked = await f.app.inject({
      method: 'GET',
      url: '/agents',
      headers: { authorization: `Bearer ${tok.token}` },
    });
    assert.equal(revoked.statusCode, 401);
  });

  void test('DELETE /tokens/:id refuses an unknown id and the last admin token', async () => {
    const unknown = await f.app.inject({
      method: 'DELETE',
      url: '/tokens/0123456789ab',
      headers: f.auth('admin'),
    });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json<{ error: { message: string } }>().error.message, /no such token/);
    const adminId = f.tokens.admin.split('.')[0]!;
    const last = await f.app.inject({
      method: 'DELETE',
      url: `/tokens/${adminId}`,
      headers: f.auth('admin'),
    });
    assert.equal(last.statusCode, 400);
    assert.match(last.json<{ error: { message: string } }>().error.message, /last admin token/);
  });

  void test('GET /openapi.json serves the repository document without a token', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok('/active-response' in doc.paths);
  });

  void test('an unknown route is a 404 in the error shape (after authentication)', async () => {
    const anon = await f.app.inject({ method: 'GET', url: '/nope' });
    assert.equal(anon.statusCode, 401);
    const res = await f.app.inject({ method: 'GET', url: '/nope?x=1', headers: f.auth('read') });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: { code: 'REQUEST_INVALID', message: 'No route GET /nope' } });
  });

  void test('an unexpected service failure is a 500 with a generic message and no stack', async () => {
    f.service.failWith = {
      method: 'listAgents',
      error: new TypeError('secret internal detail at /x/y.js:1'),
    };
    const res = await f.app.inject({ method: 'GET', url: '/agents', headers: f.auth('read') });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'INTERNAL');
    assert.ok(!res.body.includes('secret internal detail'));
    assert.ok(!res.body.includes('.js:'));
  });
});
