/**
 * decideAdd (reference §2.3): the outcome table of one add once its keys are known.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAdd, type AddDecision, type AddRequest } from '../../../src/core/execd/decide-add.js';
import type { ActiveResponse } from '../../../src/protocol/execution-records.js';

const T0 = 1_763_600_000_000;

function request(over: Partial<AddRequest> = {}): AddRequest {
  return {
    key: 'firewall-drop-203.0.113.45',
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    agentId: '001',
    timeoutSec: 600,
    addMessage: '{"command":"add","alert":"second"}',
    deleteMessage: '{"command":"delete","alert":"second"}',
    alertId: '1763626502.2',
    ruleId: 5712,
    srcip: '203.0.113.45',
    user: undefined,
    ...over,
  };
}

/** What the first alert stored, created 100 s before `now`. */
function firstActive(): ActiveResponse {
  return {
    key: 'firewall-drop-203.0.113.45',
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    deleteMessage: '{"command":"delete","alert":"first"}',
    addMessage: '{"command":"add","alert":"first"}',
    agentId: '001',
    createdAt: T0 - 100_000,
    addedAt: T0 - 100_000,
    timeoutSec: 600,
    expiresAt: T0 - 100_000 + 600_000,
    repeatCount: 1,
    alertId: '1763626502.1',
    ruleId: 5712,
    srcip: '203.0.113.45',
    user: undefined,
  };
}

interface Case {
  readonly name: string;
  readonly req: AddRequest;
  readonly existing: ActiveResponse | undefined;
  readonly revertedBy?: number;
  readonly kind: AddDecision['kind'];
  readonly answer: 'continue' | 'abort';
}

const cases: readonly Case[] = [
  {
    name: 'timeout 0, nothing active',
    req: request({ timeoutSec: 0 }),
    existing: undefined,
    kind: 'untracked',
    answer: 'continue',
  },
  {
    name: 'timeout 0, same key active',
    req: request({ timeoutSec: 0 }),
    existing: firstActive(),
    kind: 'untracked',
    answer: 'continue',
  },
  {
    name: 'timeout 600, nothing active',
    req: request(),
    existing: undefined,
    kind: 'started',
    answer: 'continue',
  },
  {
    name: 'timeout 600, same key active',
    req: request(),
    existing: firstActive(),
    kind: 'extended',
    answer: 'abort',
  },
  {
    name: 'other timeout, same key active',
    req: request({ timeoutSec: 60 }),
    existing: firstActive(),
    kind: 'extended',
    answer: 'abort',
  },
  {
    name: 'a later revert order of the key ran, nothing active',
    req: request(),
    revertedBy: 7,
    existing: undefined,
    kind: 'superseded',
    answer: 'abort',
  },
  {
    name: 'a later revert order of the key ran, the key active again',
    req: request(),
    revertedBy: 7,
    existing: firstActive(),
    kind: 'superseded',
    answer: 'abort',
  },
  {
    name: 'a later revert order of the key ran, timeout 0',
    req: request({ timeoutSec: 0 }),
    revertedBy: 7,
    existing: undefined,
    kind: 'superseded',
    answer: 'abort',
  },
];

describe('decideAdd outcome table', () => {
  for (const c of cases) {
    test(`${c.name} -> ${c.kind}/${c.answer}`, () => {
      const d = decideAdd(c.req, c.existing, T0, c.revertedBy);
      assert.equal(d.kind, c.kind);
      assert.equal(d.answer, c.answer);
    });
  }
});

describe('decideAdd records', () => {
  test('superseded carries the revert order and no active response', () => {
    const d = decideAdd(request(), firstActive(), T0, 7);
    assert.deepEqual(d, { kind: 'superseded', answer: 'abort', revertSeq: 7 });
  });

  test('untracked carries no active response', () => {
    const d = decideAdd(request({ timeoutSec: 0 }), undefined, T0);
    assert.deepEqual(d, { kind: 'untracked', answer: 'continue' });
  });

  test('started stores the request with deadline now + timeout and count 1', () => {
    const req = request();
    const d = decideAdd(req, undefined, T0);
    assert.equal(d.kind, 'started');
    if (d.kind !== 'started') {
      return;
    }
    assert.deepEqual(d.active, {
      key: req.key,
      arName: req.arName,
      program: req.program,
      deleteMessage: req.deleteMessage,
      addMessage: req.addMessage,
      agentId: req.agentId,
      createdAt: T0,
      addedAt: T0,
      timeoutSec: 600,
      expiresAt: T0 + 600 * 1000,
      repeatCount: 1,
      alertId: req.alertId,
      ruleId: req.ruleId,
      srcip: req.srcip,
      user: req.user,
    });
  });

  test('extended keeps the FIRST alert and createdAt; moves addedAt, timeout, expiresAt, repeatCount', () => {
    const first = firstActive();
    const d = decideAdd(request({ timeoutSec: 60 }), first, T0);
    assert.equal(d.kind, 'extended');
    if (d.kind !== 'extended') {
      return;
    }
    assert.deepEqual(d.active, {
      ...first,
      addedAt: T0,
      timeoutSec: 60,
      expiresAt: T0 + 60 * 1000,
      repeatCount: 2,
    });
    assert.equal(d.active.deleteMessage, '{"command":"delete","alert":"first"}');
    assert.equal(d.active.alertId, '1763626502.1');
  });

  test('extended does not mutate the stored record', () => {
    const first = firstActive();
    const copy = structuredClone(first);
    decideAdd(request(), first, T0);
    assert.deepEqual(first, copy);
  });

  test('repeatCount counts every repeat', () => {
    let active = firstActive();
    for (let i = 1; i <= 3; i++) {
      const d = decideAdd(request(), active, T0 + i * 1000);
      assert.equal(d.kind, 'extended');
      if (d.kind === 'extended') {
        active = d.active;
      }
    }
    assert.equal(active.repeatCount, 4);
    assert.equal(active.expiresAt, T0 + 3000 + 600_000);
  });
});
