/**
 * What may wait inside the agent from execq (src/agent/execq-admission.ts): past the limits a
 * datagram is refused, counted and logged (rate-limited); what was admitted runs, and its room
 * comes back when its submission settles. Over the real socket: a sender faster than the
 * executions gets the limit, not an unbounded heap.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindExecqSocket, sendToExecq } from '../../../src/agent/execq-socket.js';
import { ExecqAdmission, admittingExecq } from '../../../src/agent/execq-admission.js';
import { rejectionCount } from '../../../src/protocol/input-rejections.js';
import type { DaemonLog } from '../../../src/log/daemon-log.js';
import { waitFor } from '../../manager/support/fleet.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-execq-admission-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function errorLog(): { log: DaemonLog; lines: string[] } {
  const lines: string[] = [];
  const none = (): void => undefined;
  return {
    lines,
    log: {
      debug: none,
      info: none,
      warn: none,
      error: (m) => {
        lines.push(m);
      },
      flush: none,
    },
  };
}

/** A submit whose executions finish only when the test says so. */
function heldSubmit(): { submit: (t: string) => Promise<unknown>; got: string[]; finishAll: () => void } {
  const got: string[] = [];
  const finish: (() => void)[] = [];
  return {
    got,
    submit: (t) => {
      got.push(t);
      return new Promise<void>((resolve) => finish.push(resolve));
    },
    finishAll: () => {
      finish.splice(0).forEach((f) => {
        f();
      });
    },
  };
}

test('the limits hold by count and by characters; a release makes room again', () => {
  const a = new ExecqAdmission({ messages: 2, chars: 10 });
  assert.equal(a.take('abcd'), true);
  assert.equal(a.take('efgh'), true);
  assert.equal(a.take('i'), false, 'two messages wait');
  a.release('abcd');
  assert.equal(a.take('ijklmno'), false, '4 + 7 characters is over 10');
  assert.equal(a.take('ijklmn'), true);
  assert.deepEqual(a.waiting, { messages: 2, chars: 10 });
});

test('a refused datagram is counted and logged once per 10 s; admitted ones run; settled ones free room', async () => {
  const held = heldSubmit();
  const { log, lines } = errorLog();
  const onText = admittingExecq(held.submit, log, new ExecqAdmission({ messages: 3, chars: 1_000 }));
  const before = rejectionCount('execq', 'rate-limited');
  for (let i = 0; i < 10; i += 1) {
    onText(`m${i}`);
  }
  assert.deepEqual(held.got, ['m0', 'm1', 'm2']);
  assert.equal(rejectionCount('execq', 'rate-limited') - before, 7);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? '',
    /^execq message refused: 3 message\(s\) \(6 characters\) already wait to run;/,
  );
  held.finishAll();
  await waitFor('room again', 5_000, () => {
    onText('again');
    return held.got.includes('again') ? true : undefined;
  });
});

test('over the real socket, a sender faster than the executions is refused past the limit', async () => {
  const file = path.join(root, 'execq');
  const held = heldSubmit();
  const { log } = errorLog();
  const before = rejectionCount('execq', 'rate-limited');
  const sock = await bindExecqSocket(
    file,
    admittingExecq(held.submit, log, new ExecqAdmission({ messages: 50, chars: 1_000_000 })),
    () => undefined,
  );
  try {
    for (let i = 0; i < 200; i += 1) {
      await sendToExecq(file, `{"n":${i}}`);
    }
    await waitFor('every datagram read', 10_000, () =>
      held.got.length + rejectionCount('execq', 'rate-limited') - before === 200 ? true : undefined,
    );
    assert.equal(held.got.length, 50, 'the first 50 wait to run');
    assert.deepEqual(held.got.slice(0, 3), ['{"n":0}', '{"n":1}', '{"n":2}'], 'in arrival order');
    held.finishAll();
    await waitFor('a datagram after the executions ended is admitted', 10_000, async () => {
      await sendToExecq(file, '{"n":"late"}');
      return held.got.includes('{"n":"late"}') ? true : undefined;
    });
  } finally {
    sock.close();
  }
});
