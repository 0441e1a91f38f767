/**
 * Enrollment hardening (issue 13.12), each attack reproduced first: a duplicate-name failure must
 * not burn a one-time token; names are unique case-insensitively; wrong passwords from one address
 * are rate-limited (RATE_LIMITED, 429 + Retry-After over HTTPS) while another address is not.
 * In process: the manager's service is called with the peer address the routes would pass.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { makeDir, removeDir } from './support/fleet.js';

const root = makeDir('enroll-hardening');
let m: ManagerRuntime;
let password = '';

before(async () => {
  const conf = path.join(root, 'ossec.conf');
  writeFileSync(conf, '<ossec_config></ossec_config>\n');
  m = await startManagerRuntime({
    configPath: conf,
    home: path.join(root, 'manager'),
    listen: { host: '127.0.0.1', port: 0 },
    localAgent: false,
  });
  password = readFileSync(m.passwordFile, 'utf8').trim();
});

after(async () => {
  await m.stop();
  removeDir(root);
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await p;
  } catch (err: unknown) {
    return err as { code: string; message: string };
  }
  assert.fail('expected the enrollment to be refused');
}

test('a duplicate-name failure does not burn the token: it still enrolls once the name is free', async () => {
  const first = await m.service.enroll({ name: 'tokdup', password }, '127.0.0.21');
  const { token } = await m.service.addEnrollmentToken('tokdup', 60_000);
  const dup = await refusal(m.service.enroll({ name: 'tokdup', token }, '127.0.0.21'));
  assert.equal(dup.code, ErrorCode.REQUEST_INVALID);
  assert.match(dup.message, /already enrolled/);
  await m.service.removeAgent(first.id);
  const second = await m.service.enroll({ name: 'tokdup', token }, '127.0.0.21');
  assert.equal(second.name, 'tokdup');
  assert.notEqual(second.id, first.id);
  const replay = await refusal(m.service.enroll({ name: 'tokdup', token }, '127.0.0.21'));
  assert.equal(replay.message, 'Enrollment refused: the token was already used');
});

test('agent names are unique case-insensitively: dup1 then DUP1 is refused', async () => {
  await m.service.enroll({ name: 'dup1', password }, '127.0.0.22');
  const upper = await refusal(m.service.enroll({ name: 'DUP1', password }, '127.0.0.22'));
  assert.equal(upper.code, ErrorCode.REQUEST_INVALID);
  assert.match(upper.message, /"DUP1" is already enrolled .*"dup1"/);
  assert.equal((await m.service.listAgents()).filter((a) => a.name.toLowerCase() === 'dup1').length, 1);
});

test('11 wrong passwords from one address: RATE_LIMITED; another address still gets "invalid password"', async () => {
  for (let i = 0; i < 10; i++) {
    const r = await refusal(m.service.enroll({ name: 'brute', password: `guess-${i}` }, '127.0.0.23'));
    assert.equal(r.message, 'Enrollment refused: invalid password', `attempt ${i + 1}`);
  }
  const limited = await refusal(m.service.enroll({ name: 'brute', password: 'guess-10' }, '127.0.0.23'));
  assert.equal(limited.code, ErrorCode.RATE_LIMITED);
  assert.match(limited.message, /too many failed attempts/);
  // Even the right password waits: the limit is checked before the credentials.
  const right = await refusal(m.service.enroll({ name: 'brute', password }, '::ffff:127.0.0.23'));
  assert.equal(right.code, ErrorCode.RATE_LIMITED);
  const other = await refusal(m.service.enroll({ name: 'brute', password: 'guess' }, '127.0.0.24'));
  assert.equal(other.message, 'Enrollment refused: invalid password');
  const ok = await m.service.enroll({ name: 'not-brute', password }, '127.0.0.24');
  assert.equal(ok.name, 'not-brute');
});

function postEnroll(
  localAddress: string,
  body: unknown,
): Promise<{ status: number; retryAfter?: string; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: m.address.port,
        localAddress,
        method: 'POST',
        path: '/enroll',
        ca: m.pki.ca.cert,
        checkServerIdentity: () => undefined,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const parsed = JSON.parse(text) as { error?: { code: string } };
          const retry = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            ...(retry === undefined ? {} : { retryAfter: retry }),
            ...(parsed.error === undefined ? {} : { code: parsed.error.code }),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('over HTTPS (the link route): 403 ten times, then 429 with Retry-After', async () => {
  for (let i = 0; i < 10; i++) {
    const r = await postEnroll('127.0.0.25', { name: 'brute-http', password: `guess-${i}` });
    assert.equal(r.status, 403);
  }
  const limited = await postEnroll('127.0.0.25', { name: 'brute-http', password: 'guess-10' });
  assert.equal(limited.status, 429);
  assert.equal(limited.code, ErrorCode.RATE_LIMITED);
  const seconds = Number(limited.retryAfter);
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After: ${limited.retryAfter}`);
});
