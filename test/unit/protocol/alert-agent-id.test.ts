/**
 * `agent.id` of an alert: a string is the origin; no `agent` object (or one without `id`) is the
 * manager, "000". Any other type is refused, like other malformed alerts, rather than read as the
 * manager: a `local` response would otherwise run on the manager host.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAlertLine, viewAlert } from '../../../src/protocol/alert.js';

const rule = { level: 10, id: '5712', groups: ['sshd'] };
const REFUSED = "alert has an 'agent' that is not an object or an 'agent.id' that is not a string";

void describe('AlertView.agentId', () => {
  const origins: readonly [string, unknown, string][] = [
    ['a string id', { id: '001' }, '001'],
    ['the manager', { id: '000' }, '000'],
    ['an agent without id', { name: 'manager' }, '000'],
  ];
  for (const [what, agent, want] of origins) {
    void test(`${what} is ${want}`, () => {
      const r = viewAlert({ rule, agent });
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.equal(r.alert.agentId, want);
    });
  }

  void test('no agent object means the manager', () => {
    const r = viewAlert({ rule });
    assert.ok(r.ok);
    assert.equal(r.alert.agentId, '000');
  });

  const bad: readonly [string, unknown][] = [
    ['a number id', { id: 1 }],
    ['a null id', { id: null }],
    ['an object id', { id: { v: '001' } }],
    ['an array id', { id: ['001'] }],
    ['a null agent', null],
    ['a string agent', '001'],
  ];
  for (const [what, agent] of bad) {
    void test(`${what} is refused, not read as the manager`, () => {
      assert.deepEqual(viewAlert({ rule, agent }), { ok: false, error: REFUSED });
      assert.deepEqual(parseAlertLine(JSON.stringify({ rule, agent })), { ok: false, error: REFUSED });
    });
  }
});
