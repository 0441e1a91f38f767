/**
 * `riposte ar revert --all` target by target (src/cli/commands/revert-all.ts): a key gone
 * meanwhile is noted, a failure does not stop the rest, one about the manager or the credentials
 * does (the rest would fail the same way), and the final error keeps the first failure's code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  revertAllError,
  revertAllNotes,
  revertEach,
  type RevertAllOutcome,
  type RevertTarget,
} from '../../../src/cli/commands/revert-all.js';
import { ErrorCode, RiposteError } from '../../../src/protocol/error-codes.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';

const targets: RevertTarget[] = ['a', 'b', 'c', 'd'].map((key) => ({ key, agentId: '001' }));

/** Reverts with `revertEach`, failing the keys of `errors` with their error; the keys tried. */
async function run(
  errors: Record<string, unknown>,
): Promise<{ tried: string[]; o: RevertAllOutcome<string> }> {
  const tried: string[] = [];
  const o = await revertEach(targets, async (t) => {
    tried.push(t.key);
    if (t.key in errors) {
      throw errors[t.key];
    }
    return `queued ${t.key}`;
  });
  return { tried, o };
}

test('a key gone meanwhile is noted and is no failure', async () => {
  const { tried, o } = await run({ b: new RiposteError(ErrorCode.RESPONSE_NOT_FOUND, 'gone') });
  assert.deepEqual(tried, ['a', 'b', 'c', 'd']);
  assert.deepEqual(o.answers, ['queued a', 'queued c', 'queued d']);
  assert.equal(revertAllNotes(o), 'Already gone (expired or reverted meanwhile): "b" on agent 001\n');
  assert.equal(revertAllError(o), undefined);
  assert.equal(revertAllNotes({ answers: [], gone: [], failed: [], notTried: 0 }), '');
});

test('a key from outside is printed escaped: no terminal sequence, no forged line', () => {
  const key = 'root\u001b[2J\nCannot revert "x"\u202e';
  const o: RevertAllOutcome<string> = {
    answers: [],
    gone: [{ key, agentId: '001' }],
    failed: [],
    notTried: 0,
  };
  assert.equal(
    revertAllNotes(o),
    'Already gone (expired or reverted meanwhile): "root\\x1b[2J\\x0aCannot revert "x"\\u{202e}" on agent 001\n',
  );
});

test('failures do not stop the others; the error carries the first one code and the counts', async () => {
  const { tried, o } = await run({
    a: new RiposteError(ErrorCode.AGENT_NOT_FOUND, 'Agent "001" is not enrolled'),
    c: new Error('socket hang up'),
    d: new RiposteError(ErrorCode.RESPONSE_NOT_FOUND, 'gone'),
  });
  assert.deepEqual(tried, ['a', 'b', 'c', 'd']);
  assert.deepEqual(o.answers, ['queued b']);
  assert.equal(
    revertAllNotes(o),
    'Already gone (expired or reverted meanwhile): "d" on agent 001\n' +
      'Cannot revert "a" on agent 001: Agent "001" is not enrolled\n' +
      'Cannot revert "c" on agent 001: socket hang up\n',
  );
  const err = revertAllError(o);
  assert.equal(err?.code, ErrorCode.AGENT_NOT_FOUND);
  assert.equal(exitCodeFor(err), 4);
  assert.equal(
    err?.message,
    'Cannot revert 2 of 4 active responses (1 queued, 1 already gone); first: "a" on agent 001: Agent "001" is not enrolled',
  );
  // A first failure that is no RiposteError is INTERNAL.
  assert.equal(revertAllError({ ...o, failed: o.failed.slice(1) })?.code, ErrorCode.INTERNAL);
});

test('an unreachable manager or refused credentials end the loop: the rest is counted not tried', async () => {
  for (const code of [ErrorCode.DAEMON_UNREACHABLE, ErrorCode.AUTH_REQUIRED, ErrorCode.AUTH_FORBIDDEN]) {
    const { tried, o } = await run({ b: new RiposteError(code, 'no') });
    assert.deepEqual(tried, ['a', 'b'], code);
    assert.equal(o.notTried, 2);
    const err = revertAllError(o);
    assert.equal(err?.code, code);
    assert.match(
      err?.message ?? '',
      /^Cannot revert 1 of 4 active responses \(1 queued, 0 already gone, 2 not tried\)/,
    );
  }
});
