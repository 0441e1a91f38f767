/**
 * API tokens on the durable SQLite store: hashing, verification, expiry, the first admin token
 * file, and persistence across reopen.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { roleAtLeast } from '../../src/protocol/api-access.js';
import {
  ensureAdminToken,
  hashSecret,
  mintApiToken,
  verifyApiToken,
  USE_TIME_RESOLUTION_MS,
} from '../../src/manager-api/api-tokens.js';
import { openSqliteApiStore } from '../../src/store/sqlite-api-tokens.js';

void describe('API tokens', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  void test('roles are ordered read < operator < admin', () => {
    assert.ok(
      roleAtLeast('admin', 'operator') && roleAtLeast('operator', 'read') && roleAtLeast('read', 'read'),
    );
    assert.ok(!roleAtLeast('read', 'operator') && !roleAtLeast('operator', 'admin'));
  });

  void test('only the SHA-256 of the secret is stored; the database file is 0600', async () => {
    const file = path.join(dir, 'var', 'api.db');
    const store = openSqliteApiStore(file);
    const minted = await mintApiToken(store.tokens, { name: 'ci', role: 'operator', now: 1000 });
    const [id, secret] = minted.token.split('.') as [string, string];
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.equal(store.tokens.get(id)?.secretHash, hashSecret(secret));
    store.close();
    const bytes = fs.readFileSync(file);
    assert.ok(!bytes.includes(Buffer.from(secret)), 'the secret is not in the file');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  void test('verification: valid, wrong secret, unknown id, malformed, expired; use time recorded', async () => {
    const store = openSqliteApiStore(':memory:');
    const minted = await mintApiToken(store.tokens, { name: 'x', role: 'read', now: 1000, ttlMs: 500 });
    const id = minted.record.id;
    assert.equal((await verifyApiToken(store.tokens, minted.token, 1200))?.id, id);
    assert.equal(store.tokens.list()[0]?.lastUsedAt, 1200);
    const otherSecret = 'B'.repeat(43);
    assert.equal(await verifyApiToken(store.tokens, `${id}.${otherSecret}`, 1200), undefined);
    assert.equal(
      await verifyApiToken(store.tokens, `ffffffffffff.${minted.token.split('.')[1]!}`, 1200),
      undefined,
    );
    assert.equal(await verifyApiToken(store.tokens, minted.token.slice(0, -1), 1200), undefined);
    assert.equal((await verifyApiToken(store.tokens, minted.token, 1500))?.id, id);
    assert.equal(await verifyApiToken(store.tokens, minted.token, 1501), undefined);
    store.close();
  });

  void test('the use time is kept to the minute: a use within it of the recorded one writes nothing', async () => {
    const store = openSqliteApiStore(':memory:');
    const minted = await mintApiToken(store.tokens, { name: 'feed', role: 'operator', now: 1000 });
    const writes: number[] = [];
    const counted = {
      ...store.tokens,
      touch: (id: string, at: number): void => {
        writes.push(at);
        store.tokens.touch(id, at);
      },
    };
    assert.equal((await verifyApiToken(counted, minted.token, 2_000))?.lastUsedAt, 2_000);
    for (const at of [2_001, 30_000, 2_000 + USE_TIME_RESOLUTION_MS - 1]) {
      assert.equal((await verifyApiToken(counted, minted.token, at))?.lastUsedAt, 2_000);
    }
    assert.deepEqual(writes, [2_000], 'one write for uses within a minute');
    await verifyApiToken(counted, minted.token, 2_000 + USE_TIME_RESOLUTION_MS);
    assert.equal(store.tokens.list()[0]?.lastUsedAt, 2_000 + USE_TIME_RESOLUTION_MS);
    await verifyApiToken(counted, minted.token, 500); // a clock that went back: written
    assert.deepEqual(writes, [2_000, 2_000 + USE_TIME_RESOLUTION_MS, 500]);
    store.close();
  });

  void test('a use time that cannot be written (disk full) does not refuse a valid token', async () => {
    const store = openSqliteApiStore(':memory:');
    const minted = await mintApiToken(store.tokens, { name: 'x', role: 'read', now: 1000 });
    const full = {
      ...store.tokens,
      touch: (): void => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      },
    };
    const record = await verifyApiToken(full, minted.token, 1200);
    assert.equal(record?.id, minted.record.id);
    assert.equal(record.lastUsedAt, undefined, 'the unrecorded use time is not reported');
    assert.equal(
      await verifyApiToken(full, minted.token.slice(0, -1), 1200),
      undefined,
      'a bad token still fails',
    );
    store.close();
  });

  void test('token names are validated', async () => {
    const store = openSqliteApiStore(':memory:');
    await assert.rejects(mintApiToken(store.tokens, { name: 'a b', role: 'read', now: 1 }), {
      code: 'REQUEST_INVALID',
    });
    await assert.rejects(mintApiToken(store.tokens, { name: '', role: 'read', now: 1 }), {
      code: 'REQUEST_INVALID',
    });
    store.close();
  });

  void test('ensureAdminToken writes the first admin token once (0600) and it survives reopen', async () => {
    const dbFile = path.join(dir, 'var', 'api.db');
    const tokenFile = path.join(dir, 'var', 'admin.token');
    const store = openSqliteApiStore(dbFile);
    const token = await ensureAdminToken(store.tokens, tokenFile, 5000);
    assert.ok(token);
    assert.equal(fs.readFileSync(tokenFile, 'utf8'), `${token}\n`);
    assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
    assert.equal(await ensureAdminToken(store.tokens, tokenFile, 6000), undefined, 'not minted twice');
    store.close();

    const reopened = openSqliteApiStore(dbFile);
    assert.equal(await ensureAdminToken(reopened.tokens, tokenFile, 7000), undefined);
    assert.equal((await verifyApiToken(reopened.tokens, token, 7000))?.role, 'admin');
    reopened.close();
  });

  void test('audit entries persist, most recent first', () => {
    const file = path.join(dir, 'api.db');
    const store = openSqliteApiStore(file);
    const base = {
      tokenId: 'abc',
      tokenName: 'n',
      role: 'admin' as const,
      agents: undefined,
      remote: '127.0.0.1',
    };
    store.audit.append({ ...base, at: 1, method: 'POST', path: '/tokens', status: 201 });
    store.audit.append({ ...base, at: 2, method: 'DELETE', path: '/agents/001', status: 200, agents: '001' });
    store.close();
    const reopened = openSqliteApiStore(file);
    assert.deepEqual(
      reopened.audit.list(10).map((e) => [e.at, e.method, e.agents]),
      [
        [2, 'DELETE', '001'],
        [1, 'POST', undefined],
      ],
    );
    reopened.close();
  });
});
