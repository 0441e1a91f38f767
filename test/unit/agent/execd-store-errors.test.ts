/**
 * A store that fails (a full disk, an I/O error) where execd reads or writes it synchronously is
 * logged and handled, never thrown into the event loop (the agent would die, and a manager's
 * order would never be answered): submit and revert resolve undefined, and the due reverts of a
 * failed read are armed again and run later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempAgentStore } from '../../support/temp-agent-store.js';
import { CountingStore } from './execd-batch-fixture.js';
import { RESOLVER_TABLE, T0, harness } from './execd-fixture.js';

const IP = '192.0.2.10';

function failing() {
  const counting = new CountingStore(tempAgentStore());
  return { counting, h: harness({ store: counting.store }) };
}

test('the due reverts whose programs cannot be read are armed again, and run then', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { counting, h } = failing();
  await h.submit('firewall-drop1', IP);
  counting.faultAt = 'programsOf';
  h.clock.t = T0 + 1000;
  t.mock.timers.tick(1000);
  await h.execd.idle();
  assert.equal(counting.faultAt, undefined, 'the fault was met');
  assert.equal(h.runner.of('delete').length, 0);
  assert.equal(h.store.countActive(), 1);
  assert.equal(h.execd.armed, 1);
  assert.ok(h.log.lines.some((l) => l.msg.includes('1 due revert(s) deferred by 5000 ms: injected fault')));
  h.clock.t = T0 + 6000;
  t.mock.timers.tick(5000);
  await h.execd.idle();
  assert.equal(h.runner.of('delete').length, 1);
  assert.equal(h.store.countActive(), 0);
});

test('a revert whose active response cannot be read resolves undefined, logged', async () => {
  const { counting, h } = failing();
  await h.submit('firewall-drop600', IP);
  const key = h.store.listActive()[0]?.key;
  assert.ok(key !== undefined);
  counting.faultAt = 'getActive';
  assert.equal(await h.execd.revert(key), undefined);
  assert.equal(counting.faultAt, undefined, 'the fault was met');
  assert.ok(h.log.lines.some((l) => l.msg.includes('Execution failed: injected fault in getActive')));
  assert.equal((await h.execd.revert(key))?.reverted, true, 'the next revert runs');
});

test('an add of a missing script whose record cannot be written resolves undefined, logged', async () => {
  const counting = new CountingStore(tempAgentStore());
  const h = harness({
    store: counting.store,
    commands: { ...RESOLVER_TABLE, gone0: { kind: 'not-present', program: 'active-response/bin/gone' } },
  });
  counting.faultAt = 'startExecution';
  assert.equal(await h.submit('gone0', IP), undefined);
  assert.equal(counting.faultAt, undefined, 'the fault was met');
  assert.ok(h.log.lines.some((l) => l.msg.includes('Execution failed: injected fault in startExecution')));
  assert.ok((await h.submit('gone0', IP))?.executionId !== undefined, 'the next one is recorded');
});
