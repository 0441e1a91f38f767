/**
 * The home lock's staleness rule (home-lock.ts), with a fake process probe: a holder runs only when
 * its pid is alive, with the same start time, on the same boot.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { holderRuns, type LockHolder, type ProcessProbe } from '../../../src/cli/daemon/home-lock.js';

const holder: LockHolder = { pid: 4242, startTime: 1000, bootId: 'boot-a', command: 'start' };

function probe(
  over: Partial<{ alive: boolean; startTime: number | undefined; bootId: string | undefined }>,
): ProcessProbe {
  const p = {
    alive: true,
    startTime: 1000 as number | undefined,
    bootId: 'boot-a' as string | undefined,
    ...over,
  };
  return { alive: () => p.alive, startTime: () => p.startTime, bootId: () => p.bootId };
}

void describe('home lock: is the holder still running?', () => {
  void test('same pid, start time and boot: running', () => {
    assert.equal(holderRuns(holder, probe({})), true);
  });
  void test('no such pid (kill -9): stale', () => {
    assert.equal(holderRuns(holder, probe({ alive: false })), false);
  });
  void test('pid reused by another process (other start time): stale', () => {
    assert.equal(holderRuns(holder, probe({ startTime: 2000 })), false);
  });
  void test('rebooted since (other boot id): stale', () => {
    assert.equal(holderRuns(holder, probe({ bootId: 'boot-b' })), false);
  });
  void test('no /proc start time to compare: trusts the live pid', () => {
    assert.equal(holderRuns(holder, probe({ startTime: undefined })), true);
  });
});
