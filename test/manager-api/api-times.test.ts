/**
 * ISO-8601 times on every API answer (issues #8 item 1, #9 item 3): the records keep epoch ms, the
 * API edge converts them in one place (protocol/api-times.ts through manager-api/api-serializer.ts).
 * Walks every JSON answer of the manager's API (as `riposte manager` and `riposte start` serve it)
 * and of a bare agent's local API, and checks that no time field carries a number.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPENAPI_FILE } from '../../src/manager-api/openapi-document.js';
import { buildAgentApi } from '../../src/api/build-agent-api.js';
import type { AgentVerbs } from '../../src/local/agent-verbs.js';
import { isTimeField, parseApiTime, toApiTimes } from '../../src/protocol/api-times.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { active, execution } from './fake-manager-service.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Fails unless every value of a time field is an ISO string. */
function assertIso(path: string, v: unknown): void {
  for (const t of [v].flat()) {
    assert.equal(typeof t, 'string', `${path} is not ISO: ${JSON.stringify(v)}`);
    assert.match(String(t), ISO, path);
  }
}

/** Every time field of `value` (path -> value); fails on a time field holding a number. */
function timesOf(value: unknown, path = '$', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    value.forEach((v, i) => timesOf(v, `${path}[${i}]`, out));
    return out;
  }
  if (value === null || typeof value !== 'object') {
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (isTimeField(k)) {
      assertIso(`${path}.${k}`, v);
      out.set(`${path}.${k}`, v);
    } else {
      timesOf(v, `${path}.${k}`, out);
    }
  }
  return out;
}

void describe('toApiTimes', () => {
  test('turns every *At, lastSeen and minutes number into ISO, recursively, and nothing else (an alert is opaque)', () => {
    const wire = toApiTimes({
      createdAt: 0,
      endedAt: undefined,
      lastSeen: 1_700_000_000_000,
      quarantinedAt: 'already text',
      timeoutSec: 600,
      durationMs: 12,
      perMinute: { minutes: [60_000, 120_000], series: { ok: [1, 2] } },
      items: [{ startedAt: 100, id: 7 }],
      alert: { data: { loggedAt: 5 } },
    });
    assert.deepEqual(wire, {
      createdAt: '1970-01-01T00:00:00.000Z',
      endedAt: undefined,
      lastSeen: '2023-11-14T22:13:20.000Z',
      quarantinedAt: 'already text',
      timeoutSec: 600,
      durationMs: 12,
      perMinute: {
        minutes: ['1970-01-01T00:01:00.000Z', '1970-01-01T00:02:00.000Z'],
        series: { ok: [1, 2] },
      },
      items: [{ startedAt: '1970-01-01T00:00:00.100Z', id: 7 }],
      alert: { data: { loggedAt: 5 } },
    });
  });

  test('query times: ISO 8601 or epoch ms, NaN otherwise', () => {
    assert.equal(parseApiTime('2026-11-30T08:00:00.000Z'), Date.UTC(2026, 10, 30, 8));
    assert.equal(parseApiTime('1700000000000'), 1_700_000_000_000);
    assert.ok(Number.isNaN(parseApiTime('yesterday')));
  });
});

void describe('manager API answers ISO times', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
  });
  after(async () => {
    await f.close();
  });

  test('every JSON GET route: no time field carries a number', async () => {
    const urls = [
      '/active-responses',
      '/active-responses?limit=5',
      '/executions',
      '/executions?status=failed',
      '/orders',
      '/agents',
      '/agents/001',
      '/agents/tokens',
      '/alerts/recent',
      '/tokens',
      '/status',
      '/overview',
    ];
    f.service.executions = [{ ...execution('001', 3), status: 'failed', exitCode: 1 }, execution('001', 2)];
    const seen = new Set<string>();
    for (const url of urls) {
      const res = await f.app.inject({ method: 'GET', url, headers: f.auth('admin') });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      for (const path of timesOf(res.json()).keys()) {
        seen.add(path.replace(/\[\d+\]/g, '[]').replace(/^\$/, url.split('?')[0] ?? ''));
      }
    }
    for (const expected of [
      '/active-responses.items[].createdAt',
      '/active-responses.items[].expiresAt',
      '/active-responses.items[].reportedAt',
      '/executions.items[].startedAt',
      '/executions.items[].receivedAt',
      '/orders.items[].createdAt',
      '/agents.items[].lastSeen',
      '/agents.items[].registeredAt',
      '/tokens.items[].createdAt',
      '/status.daemon.startedAt',
      '/status.lastErrors[].startedAt',
      '/overview.perMinute.minutes',
    ]) {
      assert.ok(seen.has(expected), `${expected} not seen in ${[...seen].join(', ')}`);
    }
    const a = (
      await f.app.inject({ method: 'GET', url: '/active-responses', headers: f.auth('read') })
    ).json<{
      items: { createdAt: string; expiresAt: string }[];
    }>().items[0];
    assert.deepEqual([a?.createdAt, a?.expiresAt], ['1970-01-01T00:00:00.001Z', '1970-01-01T00:10:00.001Z']);
  });

  test('answers of writes: DELETE /active-responses (revert orders), POST /agents/tokens, POST /tokens', async () => {
    const del = await f.app.inject({
      method: 'DELETE',
      url: '/active-responses/firewall-drop-10.0.0.1?agent=001',
      headers: f.auth('operator'),
    });
    assert.equal(del.statusCode, 202);
    assert.ok(timesOf(del.json()).has('$.orders[0].createdAt'));
    const enroll = await f.app.inject({
      method: 'POST',
      url: '/agents/tokens',
      headers: f.auth('admin'),
      payload: { name: 'web-01', ttl: 60 },
    });
    assert.deepEqual([...timesOf(enroll.json()).entries()], [['$.expiresAt', '1970-01-01T00:01:01.000Z']]);
    const tok = await f.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: f.auth('admin'),
      payload: { name: 'ci', role: 'read' },
    });
    assert.equal(tok.statusCode, 201, tok.body);
    assert.ok(timesOf(tok.json()).has('$.createdAt'));
  });

  test('downloads: NDJSON and CSV carry ISO times; since/until take ISO or epoch ms', async () => {
    f.service.executions = [execution('001', 2), execution('001', 1)];
    const nd = await f.app.inject({
      method: 'GET',
      url: '/executions?format=ndjson',
      headers: f.auth('read'),
    });
    for (const line of nd.body.trim().split('\n')) {
      assert.ok(timesOf(JSON.parse(line)).has('$.startedAt'));
    }
    const csv = await f.app.inject({ method: 'GET', url: '/executions?format=csv', headers: f.auth('read') });
    assert.match(csv.body.split('\r\n')[1] ?? '', /,1970-01-01T00:00:00\.100Z,1970-01-01T00:00:00\.101Z,1,/);
    for (const since of ['1970-01-01T00:00:00.100Z', '100']) {
      const res = await f.app.inject({
        method: 'GET',
        url: `/executions?since=${since}&until=1970-01-01T00:00:01Z`,
        headers: f.auth('read'),
      });
      assert.equal(res.json<{ total: number }>().total, 2, since);
    }
    const none = await f.app.inject({
      method: 'GET',
      url: '/executions?since=1970-01-01T00:00:00.101Z',
      headers: f.auth('read'),
    });
    assert.equal(none.json<{ total: number }>().total, 0);
  });

  test('the live feed (SSE) sends executions with ISO times', async () => {
    const server = http.createServer((req, res) => {
      f.app.routing(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const data = await new Promise<string>((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port, path: '/executions/stream', headers: f.auth('read') },
          (res) => {
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buf += chunk;
              if (buf.includes('riposte executions')) {
                buf = buf.replace('riposte executions', '');
                f.service.emit({
                  type: 'execution',
                  agentId: '001',
                  status: 'ok',
                  execution: execution('001', 5),
                });
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
      const times = timesOf(JSON.parse(data));
      assert.equal(times.get('$.startedAt'), '1970-01-01T00:00:00.100Z');
      assert.equal(times.get('$.receivedAt'), '1970-01-01T00:00:00.102Z');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

void describe('OpenAPI documents ISO times', () => {
  test('every time field of openapi/riposte.json is a Time (ISO-8601 string), none an integer', () => {
    const doc = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as unknown;
    const found: string[] = [];
    const walk = (o: unknown, path: string): void => {
      if (Array.isArray(o)) {
        o.forEach((v, i) => {
          walk(v, `${path}[${i}]`);
        });
        return;
      }
      if (o === null || typeof o !== 'object') {
        return;
      }
      const props = (o as { properties?: Record<string, unknown> }).properties ?? {};
      for (const [k, v] of Object.entries(props)) {
        if (isTimeField(k)) {
          const text = JSON.stringify(v);
          assert.ok(text.includes('#/components/schemas/Time'), `${path}.${k}: ${text}`);
          assert.ok(!text.includes('integer'), `${path}.${k}: ${text}`);
          found.push(k);
        }
      }
      for (const [k, v] of Object.entries(o)) {
        walk(v, `${path}.${k}`);
      }
    };
    walk(doc, '$');
    assert.ok(found.length >= 20, found.join(','));
    assert.equal(JSON.stringify(doc).includes('"started_at"'), false);
  });
});

void describe("a bare agent's local API answers ISO times too", () => {
  const TOKEN = 't'.repeat(43);
  const e = execution('004', 3);
  const verbs = {
    status: () => ({ agentId: '004', pid: 1, startedAt: 5, activeResponses: 1, armedReverts: 1 }),
    listActive: () => [active('firewall-drop-10.0.0.9', '004', '10.0.0.9')],
    listExecutions: () => [e],
    revert: async () => ({ orders: [], executions: [e] }),
  } as unknown as AgentVerbs;
  const app = buildAgentApi({
    verbs,
    token: TOKEN,
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      flush: () => undefined,
    },
  });
  after(async () => {
    await app.close();
  });

  test('status, list, history and revert', async () => {
    const get = async (method: 'GET' | 'DELETE', url: string): Promise<Map<string, unknown>> => {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.ok(res.statusCode === 200 || res.statusCode === 202, `${url}: ${res.body}`);
      return timesOf(res.json());
    };
    assert.equal((await get('GET', '/status')).get('$.startedAt'), '1970-01-01T00:00:00.005Z');
    assert.equal(
      (await get('GET', '/active-responses')).get('$.items[0].expiresAt'),
      '1970-01-01T00:10:00.001Z',
    );
    assert.equal((await get('GET', '/executions')).get('$.items[0].endedAt'), '1970-01-01T00:00:00.101Z');
    assert.equal(
      (await get('DELETE', '/active-responses/firewall-drop-10.0.0.9')).get('$.executions[0].startedAt'),
      '1970-01-01T00:00:00.100Z',
    );
  });
});
