/**
 * The local API through `app.inject()` (no port): auth, list, revert, run, history and alert
 * ingestion, over a real LocalService + Execd on a temporary SQLite store (see local-api-fixture.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { makeAlertRaw } from '../unit/match/config-builder.js';
import { commandOf, T0 } from '../unit/agent/execd-fixture.js';
import { AUTH, localApiFixture, type LocalApiFixture } from './local-api-fixture.js';

const IP = '203.0.113.45';
const KEY = `firewall-drop-${IP}`;

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

function errorOf(res: LightMyRequestResponse): ErrorBody['error'] {
  return res.json<ErrorBody>().error;
}

/** Runs firewall-drop600 for `srcip` through the API. */
function runBlock(f: LocalApiFixture, srcip: string): Promise<LightMyRequestResponse> {
  return f.app.inject({
    method: 'POST',
    url: '/active-responses/run',
    headers: AUTH,
    payload: { name: 'firewall-drop600', srcip },
  });
}

describe('local API: authentication', () => {
  let f: LocalApiFixture;
  before(async () => {
    f = await localApiFixture();
  });
  after(() => f.close());

  const cases: readonly { name: string; headers: Record<string, string> }[] = [
    { name: 'no Authorization header', headers: {} },
    { name: 'a wrong token', headers: { authorization: 'Bearer wrong-token-0123456789abcde' } },
    { name: 'the token without "Bearer "', headers: { authorization: AUTH.authorization.slice(7) } },
  ];
  for (const c of cases) {
    test(`${c.name} -> 401 AUTH_REQUIRED`, async () => {
      const res = await f.app.inject({ method: 'GET', url: '/active-responses', headers: c.headers });
      assert.equal(res.statusCode, 401);
      assert.equal(errorOf(res).code, 'AUTH_REQUIRED');
    });
  }

  test('a wrong token cannot run anything', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/active-responses/run',
      headers: { authorization: 'Bearer nope' },
      payload: { name: 'firewall-drop600', srcip: IP },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(f.runner.runs.length, 0);
  });

  test('the right token -> 200', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/status', headers: AUTH });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ agentId: string }>().agentId, '000');
  });
});

describe('local API: responses', () => {
  let f: LocalApiFixture;
  before(async () => {
    f = await localApiFixture();
  });
  after(() => f.close());

  test('run -> 200 with the execution; list shows the active response', async () => {
    const res = await runBlock(f, IP);
    assert.equal(res.statusCode, 200);
    const { execution } = res.json<{ execution: Record<string, unknown> }>();
    assert.equal(execution['action'], 'add');
    assert.equal(execution['status'], 'ok');
    assert.equal(execution['key'], KEY);
    assert.equal(execution['srcip'], IP);
    assert.equal(commandOf(f.runner.runs[0]?.reply), 'continue');

    f.clock.t = T0 + 100_000;
    const list = await f.app.inject({ method: 'GET', url: '/active-responses', headers: AUTH });
    assert.equal(list.statusCode, 200);
    const { items } = list.json<{ items: Record<string, unknown>[] }>();
    assert.equal(items.length, 1);
    assert.equal(items[0]?.['key'], KEY);
    assert.equal(items[0]?.['timeout'], 600);
    assert.equal(items[0]?.['expires_in'], 500);
    assert.equal(items[0]?.['expires_at'], new Date(T0 + 600_000).toISOString());
  });

  test('revert of an unknown key -> 404 RESPONSE_NOT_FOUND, nothing runs', async () => {
    const before = f.runner.runs.length;
    const res = await f.app.inject({
      method: 'DELETE',
      url: '/active-responses/firewall-drop-9.9.9.9',
      headers: AUTH,
    });
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'RESPONSE_NOT_FOUND');
    assert.match(errorOf(res).message, /firewall-drop-9\.9\.9\.9/);
    assert.equal(f.runner.runs.length, before);
  });

  test('revert of the active key -> 200 delete execution; the list is empty', async () => {
    const res = await f.app.inject({ method: 'DELETE', url: `/active-responses/${KEY}`, headers: AUTH });
    assert.equal(res.statusCode, 200);
    const { execution } = res.json<{ execution: Record<string, unknown> }>();
    assert.equal(execution['action'], 'delete');
    assert.equal(execution['key'], KEY);
    assert.equal(commandOf(f.runner.of('delete')[0]?.inv.line), 'delete');
    const list = await f.app.inject({ method: 'GET', url: '/active-responses', headers: AUTH });
    assert.deepEqual(list.json(), { items: [] });
  });

  test('an IPv6 key, URL-encoded, reverts', async () => {
    await runBlock(f, '2001:db8:1::7');
    const key = 'firewall-drop-2001:db8:1::7';
    assert.ok(f.store.getActive(key));
    const res = await f.app.inject({
      method: 'DELETE',
      url: `/active-responses/${encodeURIComponent(key)}`,
      headers: AUTH,
    });
    assert.equal(res.statusCode, 200);
    assert.equal(f.store.getActive(key), undefined);
  });

  test('revert all -> every active response reverted', async () => {
    await runBlock(f, '198.51.100.1');
    await runBlock(f, '198.51.100.2');
    const res = await f.app.inject({ method: 'DELETE', url: '/active-responses', headers: AUTH });
    assert.equal(res.statusCode, 200);
    const { executions } = res.json<{ executions: { action: string }[] }>();
    assert.deepEqual(
      executions.map((e) => e.action),
      ['delete', 'delete'],
    );
    assert.equal(f.store.countActive(), 0);
  });

  test('run with an invalid srcip -> 400 REQUEST_INVALID, nothing runs', async () => {
    const before = f.runner.runs.length;
    for (const srcip of ['1.2.3.4; rm -rf /', '999.1.1.1', '-1', '']) {
      const res = await runBlock(f, srcip);
      assert.equal(res.statusCode, 400, srcip);
      assert.equal(errorOf(res).code, 'REQUEST_INVALID');
    }
    assert.equal(f.runner.runs.length, before);
  });

  test('run with an invalid user -> 400 REQUEST_INVALID', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/active-responses/run',
      headers: AUTH,
      payload: { name: 'firewall-drop600', user: 'root$(id)' },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'REQUEST_INVALID');
  });

  test('run without a name -> 400 REQUEST_INVALID', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/active-responses/run',
      headers: AUTH,
      payload: {},
    });
    assert.equal(res.statusCode, 400);
    assert.equal(errorOf(res).code, 'REQUEST_INVALID');
  });

  test('run of an unknown AR name -> 404 AR_COMMAND_UNKNOWN', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/active-responses/run',
      headers: AUTH,
      payload: { name: 'no-such-ar600', srcip: IP },
    });
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'AR_COMMAND_UNKNOWN');
    assert.match(errorOf(res).message, /no-such-ar600/);
  });

  test('a custom "!name" with a parent reference is refused -> 404 AR_COMMAND_UNKNOWN', async () => {
    const before = f.runner.runs.length;
    const res = await f.app.inject({
      method: 'POST',
      url: '/active-responses/run',
      headers: AUTH,
      payload: { name: '!../../bin/sh', srcip: IP },
    });
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'AR_COMMAND_UNKNOWN');
    assert.match(errorOf(res).message, /directory traversal/);
    assert.equal(f.runner.runs.length, before);
  });

  test('an unknown route -> 404 REQUEST_INVALID', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/nope', headers: AUTH });
    assert.equal(res.statusCode, 404);
    assert.equal(errorOf(res).code, 'REQUEST_INVALID');
  });
});

describe('local API: history', () => {
  let f: LocalApiFixture;
  before(async () => {
    f = await localApiFixture();
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      await runBlock(f, ip);
    }
  });
  after(() => f.close());

  for (const limit of ['0', '-1', 'abc', '1.5', '100001']) {
    test(`limit=${limit} -> 400 REQUEST_INVALID`, async () => {
      const res = await f.app.inject({ method: 'GET', url: `/executions?limit=${limit}`, headers: AUTH });
      assert.equal(res.statusCode, 400);
      assert.equal(errorOf(res).code, 'REQUEST_INVALID');
    });
  }

  test('limit=2 -> the two most recent executions', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/executions?limit=2', headers: AUTH });
    assert.equal(res.statusCode, 200);
    const { items } = res.json<{ items: { srcip: string }[] }>();
    assert.deepEqual(
      items.map((i) => i.srcip),
      ['198.51.100.3', '198.51.100.2'],
    );
  });

  test('no limit -> all of them', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/executions', headers: AUTH });
    assert.equal(res.json<{ items: unknown[] }>().items.length, 3);
  });
});

describe('local API: POST /alerts', () => {
  let f: LocalApiFixture;
  before(async () => {
    f = await localApiFixture();
  });
  after(() => f.close());

  test('NDJSON: a malformed line is reported with its line number, the others accepted', async () => {
    const fire = JSON.stringify(makeAlertRaw({ ruleId: '5712', data: { srcip: IP } }));
    const whiteListed = JSON.stringify(makeAlertRaw({ ruleId: '5712', data: { srcip: '10.1.2.3' } }));
    const otherRule = JSON.stringify(makeAlertRaw({ ruleId: '1002' }));
    const body = [fire, '{"rule": broken', whiteListed, '', otherRule, '[]'].join('\n');
    const res = await f.app.inject({
      method: 'POST',
      url: '/alerts',
      headers: { ...AUTH, 'content-type': 'application/x-ndjson' },
      payload: body,
    });
    assert.equal(res.statusCode, 200);
    const summary = res.json<{
      accepted: number;
      fired: number;
      rejected: { line: number; error: string }[];
    }>();
    assert.equal(summary.accepted, 3);
    assert.equal(summary.fired, 1);
    assert.deepEqual(
      summary.rejected.map((r) => r.line),
      [2, 6],
    );
    assert.match(summary.rejected[0]?.error ?? '', /invalid JSON/);
    await f.execd.idle();
    assert.deepEqual(
      f.store.listActive().map((a) => [a.key, a.arName, a.agentId]),
      [[KEY, 'firewall-drop600', '000']],
    );
  });

  test('one JSON alert -> accepted; a repeat of the same srcip is aborted by execd', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/alerts',
      headers: AUTH,
      payload: makeAlertRaw({ ruleId: '5763', data: { srcip: IP } }),
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { accepted: 1, fired: 1, rejected: [] });
    await f.execd.idle();
    assert.equal(f.store.getActive(KEY)?.repeatCount, 2);
    assert.equal(commandOf(f.runner.of('add').at(-1)?.reply), 'abort');
  });

  test('status counts ingested alerts and fired responses', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/status', headers: AUTH });
    const status = res.json<{ alertsIngested: number; responsesFired: number; activeResponses: number }>();
    assert.equal(status.alertsIngested, 4);
    assert.equal(status.responsesFired, 2);
    assert.equal(status.activeResponses, 1);
  });
});

describe('local API: bare agent', () => {
  test('POST /alerts on an agent without a manager config -> 400 REQUEST_INVALID', async () => {
    const f = await localApiFixture({ allInOne: false });
    try {
      const res = await f.app.inject({
        method: 'POST',
        url: '/alerts',
        headers: AUTH,
        payload: makeAlertRaw({ data: { srcip: IP } }),
      });
      assert.equal(res.statusCode, 400);
      assert.equal(errorOf(res).code, 'REQUEST_INVALID');
      assert.equal(f.runner.runs.length, 0);
    } finally {
      await f.close();
    }
  });
});
