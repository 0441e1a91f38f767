/**
 * isDue / restoreAction: which responses are due at `now`, and what a restart does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDue, restoreAction, type RestoreAction } from '../../../src/core/execd/due-reverts.js';

const NOW = 1_763_600_000_000;

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
