/**
 * Request validation: malformed JSON, unknown fields, wrong types, content types and the 1 MiB
 * body limit, each answered with the error shape and never reaching the service.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { apiFixture, type ApiFixture } from './api-fixture.js';

interface ErrorShape {
  error: { code: string; message: string };
}

void describe('manager API request validation', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
  });
  after(async () => {
    await f.close();
  });

  async function expectRefused(req: InjectOptions, status: number, message: RegExp): Promise<void> {
    const before = f.service.calls.length;
    const res = await f.app.inject({
      ...req,
      headers: { ...f.auth('admin'), ...(req.headers as Record<string, string>) },
    });
    assert.equal(res.statusCode, status, res.body);
    const body = res.json<ErrorShape>();
    assert.equal(body.error.code, 'REQUEST_INVALID');
    assert.match(body.error.message, message);
    assert.equal(f.service.calls.length, before, 'the service was not called');
  }

  const json = { 'content-type': 'application/json' };

  void test('malformed JSON is a 400', async () => {
    await expectRefused(
      { method: 'POST', url: '/alerts', headers: json, payload: '{"rule": ' },
      400,
      /JSON/i,
    );
  });

  void test('an empty JSON body is a 400', async () => {
    await expectRefused({ method: 'POST', url: '/tokens', headers: json, payload: '' }, 400, /empty/i);
  });

  void test('unknown body fields are a 400 (never silently dropped)', async () => {
    await expectRefused(
      { method: 'PUT', url: '/active-response', payload: { command: 'x', extra: 1 } },
      400,
      /^Unknown body field 'extra'$/,
    );
    await expectRefused(
      { method: 'POST', url: '/enroll', payload: { name: 'a', password: 'p', admin: true } },
      400,
      /^Unknown body field 'admin'$/,
    );
  });

  void test('unknown query parameters are a 400', async () => {
    await expectRefused(
      { method: 'GET', url: '/executions?agent=001&sort=desc' },
      400,
      /^Unknown query parameter 'sort'$/,
    );
  });

  void test('missing required fields and wrong types are a 400', async () => {
    await expectRefused(
      { method: 'PUT', url: '/active-response', payload: { arguments: [] } },
      400,
      /^Missing body field 'command'$/,
    );
    await expectRefused({ method: 'PUT', url: '/active-response', payload: { command: 5 } }, 400, /string/);
    await expectRefused(
      { method: 'PUT', url: '/active-response', payload: { command: 'x', arguments: [1] } },
      400,
      /string/,
    );
    await expectRefused(
      { method: 'POST', url: '/tokens', payload: { name: 'a', role: 'root' } },
      400,
      /^Body field 'role' must be one of: read, operator, admin$/,
    );
    const limit = /^Query parameter 'limit' must be a whole number from 1 to 1000$/;
    await expectRefused({ method: 'GET', url: '/executions?limit=0' }, 400, limit);
    await expectRefused({ method: 'GET', url: '/executions?limit=1001' }, 400, limit);
    await expectRefused({ method: 'GET', url: '/executions?limit=abc' }, 400, limit);
    await expectRefused(
      { method: 'GET', url: '/agents/1' },
      400,
      /^Path parameter 'id' must be an agent id of 3 to 8 digits \(001\)$/,
    );
    await expectRefused(
      { method: 'PUT', url: '/active-response?agents_list=001;rm', payload: { command: 'x' } },
      400,
      /^Query parameter 'agents_list' must be agent ids of 3 to 8 digits separated by commas/,
    );
    await expectRefused(
      { method: 'GET', url: '/executions?status=bogus' },
      400,
      /^Query parameter 'status' must be one of: (\w|-)+(, (\w|-)+){4}$/,
    );
  });

  void test('a command with path traversal or shell characters is a 400', async () => {
    await expectRefused(
      { method: 'PUT', url: '/active-response', payload: { command: '!../../bin/sh' } },
      400,
      /\.\./,
    );
    const words =
      /^Body field 'command' must be a command name, "!" and a script name, or empty; no "\.\." and no leading "\/"$/;
    await expectRefused(
      { method: 'PUT', url: '/active-response', payload: { command: 'a;reboot' } },
      400,
      words,
    );
    await expectRefused(
      { method: 'PUT', url: '/active-response', payload: { command: '/bin/sh' } },
      400,
      words,
    );
  });

  void test('every pattern a route checks is said in words, never as a regular expression', async () => {
    const cases: [InjectOptions, RegExp][] = [
      [
        { method: 'GET', url: '/active-responses?cursor=a%2Bb' },
        /^Query parameter 'cursor' must be the cursor a previous page gave \(letters/,
      ],
      [
        { method: 'GET', url: '/executions?cursor=x1' },
        /^Query parameter 'cursor' must be the cursor a previous page gave \(an execution id\)$/,
      ],
      [{ method: 'DELETE', url: '/tokens/XYZ' }, /^Path parameter 'id' must be a token id of 12 hex digits/],
      [
        { method: 'DELETE', url: '/agents/tokens/12' },
        /^Path parameter 'id' must be a token id of 12 hex digits/,
      ],
      [
        { method: 'GET', url: '/alerts/recent?limit=1000' },
        /^Query parameter 'limit' must be a whole number from 1 to 999$/,
      ],
    ];
    for (const [req, message] of cases) {
      await expectRefused(req, 400, message);
    }
  });

  void test('a body over 1 MiB is a 413', async () => {
    const big = { rule: { id: '1' }, full_log: 'x'.repeat(1024 * 1024) };
    await expectRefused({ method: 'POST', url: '/alerts', payload: big }, 413, /too large/);
    await expectRefused(
      {
        method: 'POST',
        url: '/alerts',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: 'y'.repeat(1024 * 1024 + 1),
      },
      413,
      /too large/,
    );
  });

  void test('POST /enroll (no token needed) takes at most 16 KiB', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/enroll',
      payload: { name: 'web', password: 'p'.repeat(17 * 1024) },
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json<ErrorShape>().error.code, 'REQUEST_INVALID');
  });

  void test('a body just under 1 MiB is accepted', async () => {
    const alert = { rule: { id: '1' }, full_log: '' };
    const overhead = JSON.stringify(alert).length;
    alert.full_log = 'x'.repeat(1024 * 1024 - overhead);
    const res = await f.app.inject({
      method: 'POST',
      url: '/alerts',
      headers: f.auth('operator'),
      payload: alert,
    });
    assert.equal(res.statusCode, 202);
  });

  void test('a non-JSON content type is a 415, also for text/plain', async () => {
    await expectRefused(
      {
        method: 'PUT',
        url: '/active-response',
        headers: { 'content-type': 'text/plain' },
        payload: '{"command":"x"}',
      },
      415,
      /^Unsupported content type "text\/plain": bodies are application\/json/,
    );
    await expectRefused(
      {
        method: 'PUT',
        url: '/active-response',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: '{"command":"x"}',
      },
      415,
      /content type/i,
    );
  });

  void test('errors of PUT /active-response also carry Wazuh-style title and detail', async () => {
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response',
      headers: f.auth('operator'),
      payload: { command: 'x', unknown: true },
    });
    assert.equal(res.statusCode, 400);
    const body = res.json<ErrorShape & { title: string; detail: string }>();
    assert.equal(body.title, 'Bad Request');
    assert.equal(body.detail, body.error.message);
  });
});
