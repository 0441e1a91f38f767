/**
 * dueReverts / isDue / restoreAction: which responses are due at `now`, and what a restart does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dueReverts, isDue, restoreAction, type RestoreAction } from '../../../src/core/execd/due-reverts.js';
import type { ActiveResponse } from '../../../src/core/execd/types.js';

const NOW = 1_763_600_000_000;

function active(key: string, expiresAt: number): ActiveResponse {
  return {
    key,
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    deleteMessage: '{}',
    addMessage: '{}',
    agentId: '000',
    createdAt: expiresAt - 600_000,
    addedAt: expiresAt - 600_000,
    timeoutSec: 600,
    expiresAt,
    repeatCount: 1,
    alertId: undefined,
    ruleId: undefined,
    srcip: undefined,
    user: undefined,
  };
}

describe('isDue', () => {
  test('boundary: expiresAt == now is due', () => {
    assert.equal(isDue({ expiresAt: NOW }, NOW), true);
  });
  test('one ms before the deadline is not due', () => {
    assert.equal(isDue({ expiresAt: NOW + 1 }, NOW), false);
  });
  test('past the deadline is due', () => {
    assert.equal(isDue({ expiresAt: NOW - 1 }, NOW), true);
  });
});

describe('dueReverts', () => {
  test('keeps only due responses, earliest deadline first', () => {
    const list = [active('c', NOW), active('late', NOW + 1), active('a', NOW - 5000), active('b', NOW - 10)];
    assert.deepEqual(
      dueReverts(list, NOW).map((a) => a.key),
      ['a', 'b', 'c'],
    );
  });
  test('nothing due -> empty', () => {
    assert.deepEqual(dueReverts([active('x', NOW + 1000)], NOW), []);
  });
  test('does not reorder its input', () => {
    const list = [active('b', NOW - 1), active('a', NOW - 2)];
    dueReverts(list, NOW);
    assert.deepEqual(
      list.map((a) => a.key),
      ['b', 'a'],
    );
  });
});

describe('restoreAction', () => {
  const cases: readonly { name: string; expiresAt: number; rebooted: boolean; want: RestoreAction }[] = [
    { name: 'restart, still pending', expiresAt: NOW + 60_000, rebooted: false, want: 'arm' },
    { name: 'reboot, still pending', expiresAt: NOW + 60_000, rebooted: true, want: 'reapply-then-arm' },
    { name: 'restart, overdue', expiresAt: NOW - 60_000, rebooted: false, want: 'revert-now' },
    {
      name: 'reboot, overdue (no re-apply first)',
      expiresAt: NOW - 60_000,
      rebooted: true,
      want: 'revert-now',
    },
    { name: 'restart, exactly at the deadline', expiresAt: NOW, rebooted: false, want: 'revert-now' },
    { name: 'reboot, exactly at the deadline', expiresAt: NOW, rebooted: true, want: 'revert-now' },
  ];
  for (const c of cases) {
    test(`${c.name} -> ${c.want}`, () => {
      assert.equal(restoreAction({ expiresAt: c.expiresAt }, c.rebooted, NOW), c.want);
    });
  }
});
