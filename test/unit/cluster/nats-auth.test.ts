/**
 * A cluster node's NATS credentials (src/cluster/nats-auth.ts): from the environment only, one
 * kind at a time, complete; a `--bus` URL that carries credentials is refused (nats.js would ignore
 * them, and a command line is readable by every user of the host). Against a real server:
 * test/cluster/nats-auth.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsAuthFromEnv, natsConnectAuth } from '../../../src/cluster/nats-auth.js';
import { storeChoice } from '../../../src/cli/commands/manager-store-flags.js';
import { refusal } from '../../support/refusal.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const STORE = 'postgres://riposte@db/riposte';

void test('credentials come from the environment, one kind, complete', () => {
  assert.deepEqual(natsAuthFromEnv({}), { kind: 'none' });
  assert.deepEqual(natsAuthFromEnv({ RIPOSTE_NATS_USER: '', RIPOSTE_NATS_TOKEN: '' }), { kind: 'none' });
  assert.deepEqual(natsAuthFromEnv({ RIPOSTE_NATS_USER: 'u', RIPOSTE_NATS_PASSWORD: 'p' }), {
    kind: 'user',
    user: 'u',
    pass: 'p',
  });
  assert.deepEqual(natsAuthFromEnv({ RIPOSTE_NATS_TOKEN: 't' }), { kind: 'token', token: 't' });
  assert.deepEqual(natsAuthFromEnv({ RIPOSTE_NATS_CREDS: '/etc/riposte/nats.creds' }), {
    kind: 'creds',
    file: '/etc/riposte/nats.creds',
  });
  for (const [env, said] of [
    [{ RIPOSTE_NATS_USER: 'u' }, /go together/],
    [{ RIPOSTE_NATS_PASSWORD: 'p' }, /go together/],
    [{ RIPOSTE_NATS_USER: 'u', RIPOSTE_NATS_PASSWORD: 'p', RIPOSTE_NATS_TOKEN: 't' }, /give one of/],
    [{ RIPOSTE_NATS_TOKEN: 't', RIPOSTE_NATS_CREDS: '/x' }, /give one of/],
  ] as const) {
    const got = refusal(() => natsAuthFromEnv(env));
    assert.ok(got.startsWith(`${ErrorCode.CONFIG_INVALID}: NATS credentials: `), got);
    assert.match(got, said);
    assert.doesNotMatch(got, /: p\b|'t'/, 'no secret in the message');
  }
});

void test("nats.js's options for each kind; an unreadable creds file is a config error", () => {
  assert.deepEqual(natsConnectAuth({ kind: 'none' }), {});
  assert.deepEqual(natsConnectAuth({ kind: 'user', user: 'u', pass: 'p' }), { user: 'u', pass: 'p' });
  assert.deepEqual(natsConnectAuth({ kind: 'token', token: 't' }), { token: 't' });
  const dir = mkdtempSync(join(tmpdir(), 'riposte-nats-creds-'));
  try {
    const file = join(dir, 'node.creds');
    writeFileSync(file, 'not read until connecting\n', { mode: 0o600 });
    assert.equal(typeof natsConnectAuth({ kind: 'creds', file }).authenticator, 'function');
    const got = refusal(() => natsConnectAuth({ kind: 'creds', file: join(dir, 'missing.creds') }));
    assert.match(got, /^CONFIG_INVALID: NATS credentials: cannot read RIPOSTE_NATS_CREDS ".*missing\.creds"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('the --bus URL never carries credentials; the environment gives them to a NATS bus only', () => {
  const got = refusal(() => storeChoice(STORE, 'nats://n1:4222,nats://u:s3cret@n2:4222'));
  assert.match(
    got,
    /^CONFIG_INVALID: --bus: "nats:\/\/u:\*\*\*@n2:4222" holds credentials, which NATS connections do not take from a URL/,
  );
  assert.doesNotMatch(got, /s3cret/);
  const env = { RIPOSTE_NATS_USER: 'u', RIPOSTE_NATS_PASSWORD: 'p' };
  assert.deepEqual(storeChoice(STORE, 'nats://n1:4222', false, env), {
    cluster: { storeUrl: STORE, bus: 'nats://n1:4222', natsAuth: { kind: 'user', user: 'u', pass: 'p' } },
  });
  assert.deepEqual(storeChoice(STORE, 'postgres', false, env), {
    cluster: { storeUrl: STORE, bus: 'postgres' },
  });
  assert.deepEqual(storeChoice(STORE, 'nats://n1:4222', false, {}), {
    cluster: { storeUrl: STORE, bus: 'nats://n1:4222' },
  });
});
