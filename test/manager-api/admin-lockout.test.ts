/**
 * The API cannot be left without a valid admin token: an expired admin token does not count as
 * the "other" admin when the last valid one is revoked, and at start a store holding only expired
 * admin tokens gets a new one. Before, an admin who had made a temporary admin token could revoke
 * the permanent one once the temporary one expired, and no start or CLI path minted another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiFixture } from './api-fixture.js';
import { ensureAdminToken, verifyApiToken } from '../../src/manager-api/api-tokens.js';

test('the last valid admin token cannot be revoked while another admin token has expired', async () => {
  const f = await apiFixture();
  try {
    const created = await f.app.inject({
      method: 'POST',
      url: '/tokens',
      headers: f.auth('admin'),
      payload: { name: 'tmp-admin', role: 'admin', ttl: 1 },
    });
    assert.equal(created.statusCode, 201);
    const temp = created.json<{ id: string; token: string }>();
    f.clock.now += 5000; // the temporary admin token has expired
    const adminId = f.tokens.admin.split('.')[0] ?? '';
    const last = await f.app.inject({
      method: 'DELETE',
      url: `/tokens/${adminId}`,
      headers: f.auth('admin'),
    });
    assert.equal(last.statusCode, 400);
    assert.equal(last.json<{ error: { code: string } }>().error.code, 'REQUEST_INVALID');
    assert.match(last.json<{ error: { message: string } }>().error.message, /last admin token still valid/);
    assert.equal((await verifyApiToken(f.store.tokens, f.tokens.admin, f.clock.now))?.role, 'admin');
    const expired = await f.app.inject({
      method: 'DELETE',
      url: `/tokens/${temp.id}`,
      headers: f.auth('admin'),
    });
    assert.equal(expired.statusCode, 204, 'an expired admin token may go');
  } finally {
    await f.close();
  }
});

test('ensureAdminToken mints one when every admin token has expired', async () => {
  const f = await apiFixture();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-admin-lockout-'));
  try {
    const file = path.join(dir, 'var', 'admin.token');
    const adminId = f.tokens.admin.split('.')[0] ?? '';
    const record = f.store.tokens.get(adminId);
    assert.ok(record);
    // What a store whose only admin token was made with a ttl holds after it.
    f.store.tokens.remove(adminId);
    f.store.tokens.insert({ ...record, expiresAt: f.clock.now + 1000 });
    assert.equal(await ensureAdminToken(f.store.tokens, file, f.clock.now), undefined, 'still valid');
    const minted = await ensureAdminToken(f.store.tokens, file, f.clock.now + 1001);
    assert.ok(minted, 'a new admin token once the old one expired');
    assert.equal(fs.readFileSync(file, 'utf8'), `${minted}\n`);
    assert.equal((await verifyApiToken(f.store.tokens, minted, f.clock.now + 1001))?.role, 'admin');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await f.close();
  }
});
