/**
 * Wazuh-compatible `PUT /active-response` (reference §6.2): request conversion and the Wazuh result
 * shapes, one per error code, passed through unchanged.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildArMessage, isDryRunMessage } from '../../src/protocol/ar-message.js';
import type { JsonObject } from '../../src/protocol/json.js';
import type { RunRequest } from '../../src/protocol/fleet-records.js';
import type { WazuhErrorCode, WazuhStyleResult } from '../../src/manager/manager-service.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';
import { wazuhArError } from '../../src/core/orders/wazuh-result.js';

function failedResult(code: WazuhErrorCode, failedIds: string[], affected: string[]): WazuhStyleResult {
  const error: 0 | 1 | 2 = affected.length === 0 ? 1 : 2;
  return {
    data: {
      affected_items: affected,
      total_affected_items: affected.length,
      failed_items: [{ error: wazuhArError(code), id: failedIds }],
      total_failed_items: failedIds.length,
    },
    message: error === 1 ? 'AR command was not sent to any agent' : 'AR command was not sent to some agents',
    error,
  };
}

void describe('PUT /active-response (Wazuh-compatible)', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
  });
  after(async () => {
    await f.close();
  });

  void test('converts agents_list, arguments and alert into the service request', async () => {
    const alert = { data: { srcip: '10.0.0.1' } };
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response?agents_list=001,002,001',
      headers: f.auth('operator'),
      payload: { command: '!firewall-drop', arguments: ['-v'], alert },
    });
    assert.equal(res.statusCode, 200);
    const expected: RunRequest = {
      command: '!firewall-drop',
      arguments: ['-v'],
      alert,
      agents: ['001', '002'],
    };
    assert.deepEqual(f.service.callsOf('run').at(-1)?.args, [expected]);
  });

  void test('without agents_list the request targets all agents, with empty arguments and alert', async () => {
    await f.app.inject({
      method: 'PUT',
      url: '/active-response',
      headers: f.auth('operator'),
      payload: { command: 'restart-wazuh0' },
    });
    const expected: RunRequest = { command: 'restart-wazuh0', arguments: [], alert: {}, agents: 'all' };
    assert.deepEqual(f.service.callsOf('run').at(-1)?.args, [expected]);
  });

  void test('dry_run=true makes a dry-run request, marked in the message the order carries', async () => {
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response?agents_list=001&dry_run=true',
      headers: f.auth('operator'),
      payload: { command: 'firewall-drop600', alert: { data: { srcip: '10.0.0.1' } } },
    });
    assert.equal(res.statusCode, 200);
    const expected: RunRequest = {
      command: 'firewall-drop600',
      arguments: [],
      alert: { data: { srcip: '10.0.0.1' } },
      agents: ['001'],
      dryRun: true,
    };
    assert.deepEqual(f.service.callsOf('run').at(-1)?.args, [expected]);
    const message = buildArMessage({ nodeName: 'n', arName: 'x', extraArgs: [], alert: {}, dryRun: true });
    assert.deepEqual(message.origin, { name: 'n', module: 'wazuh-analysisd', dry_run: true });
    assert.equal(isDryRunMessage(message as unknown as JsonObject), true);
    assert.equal(isDryRunMessage({ origin: { name: 'n', module: 'API' } }), false);
    const bad = await f.app.inject({
      method: 'PUT',
      url: '/active-response?dry_run=yes',
      headers: f.auth('operator'),
      payload: { command: 'firewall-drop600' },
    });
    assert.equal(bad.statusCode, 400);
  });

  void test('an empty command reaches the service (Wazuh answers 1650 per agent, not 400)', async () => {
    f.service.runResult = failedResult(1650, ['001'], []);
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response?agents_list=001',
      headers: f.auth('operator'),
      payload: { command: '' },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), f.service.runResult);
  });

  void test('success: sent to all agents, error 0', async () => {
    f.service.runResult = {
      data: {
        affected_items: ['001', '002'],
        total_affected_items: 2,
        failed_items: [],
        total_failed_items: 0,
      },
      message: 'AR command was sent to all agents',
      error: 0,
    };
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response?agents_list=001,002',
      headers: f.auth('operator'),
      payload: { command: 'firewall-drop600' },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), f.service.runResult);
  });

  for (const code of [1650, 1652, 1701, 1707, 1750] as const) {
    for (const partial of [false, true]) {
      void test(`failed item ${code} (${partial ? 'some agents, error 2' : 'no agent, error 1'}) keeps Wazuh's shape`, async () => {
        f.service.runResult = failedResult(code, ['003'], partial ? ['001'] : []);
        const res = await f.app.inject({
          method: 'PUT',
          url: '/active-response?agents_list=001,003',
          headers: f.auth('operator'),
          payload: { command: 'firewall-drop600' },
        });
        assert.equal(res.statusCode, 200);
        const body = res.json<WazuhStyleResult>();
        assert.deepEqual(body, f.service.runResult);
        assert.equal(body.data.failed_items[0]?.error.code, code);
        assert.equal(body.error, partial ? 2 : 1);
      });
    }
  }

  void test('pretty=true indents the answer with 3 spaces like Wazuh', async () => {
    const res = await f.app.inject({
      method: 'PUT',
      url: '/active-response?pretty=true&wait_for_complete=false',
      headers: f.auth('operator'),
      payload: { command: 'firewall-drop600' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, JSON.stringify(f.service.runResult, null, 3));
    assert.match(res.headers['content-type'] as string, /^application\/json/);
  });
});
