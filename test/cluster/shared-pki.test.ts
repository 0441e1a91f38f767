/**
 * The CA and enrollment password shared through the store (src/cluster/shared-pki.ts): the first
 * node publishes its own (an existing single-node CA is kept), a second node adopts them (its own
 * CA replaced, its server certificate dropped so pki.ts reissues it from the shared CA), and a
 * node with an empty home gets both. Pure file + settings logic; the advisory lock around it is in
 * order-bus.test.ts's PostgreSQL and in the cluster tests.
 */
import { BUS_KEY_SETTING, isBusKey } from '../../src/cluster/bus-seal.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CA_CERT_SETTING,
  ENROLL_PASSWORD_SETTING,
  syncSharedEnrollment,
} from '../../src/cluster/shared-pki.js';
import { ensureManagerPki, isIssuedBy } from '../../src/pki/pki.js';

function memoryStore(): {
  getSetting(k: string): Promise<string | undefined>;
  setSetting(k: string, v: string): Promise<void>;
} {
  const m = new Map<string, string>();
  return {
    getSetting: (k) => Promise.resolve(m.get(k)),
    setSetting: (k, v) => {
      m.set(k, v);
      return Promise.resolve();
    },
  };
}

test('first node publishes, the next adopts, an empty home gets both', async () => {
  const root = mkdtempSync(join(tmpdir(), 'riposte-shared-pki-'));
  try {
    const store = memoryStore();
    const now = Date.now();
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    // Node A was a single-node manager: its CA exists and must be kept.
    const pkiA = await ensureManagerPki(join(a, 'pki'), now);
    assert.equal(await syncSharedEnrollment(store, join(a, 'pki'), join(a, 'authd.pass'), now), 'published');
    assert.equal(await store.getSetting(CA_CERT_SETTING), pkiA.ca.cert);
    const password = readFileSync(join(a, 'authd.pass'), 'utf8').trim();
    assert.equal(await store.getSetting(ENROLL_PASSWORD_SETTING), password);
    // The order bus's key: made by the first node, in the store only, kept by every later sync.
    const busKey = await store.getSetting(BUS_KEY_SETTING);
    assert.ok(busKey !== undefined && isBusKey(busKey), String(busKey));
    // Node B had its own CA: replaced by the shared one, server certificate reissued from it.
    await ensureManagerPki(join(b, 'pki'), now);
    assert.equal(await syncSharedEnrollment(store, join(b, 'pki'), join(b, 'authd.pass'), now), 'adopted');
    assert.equal(existsSync(join(b, 'pki', 'server.pem')), false);
    const pkiB = await ensureManagerPki(join(b, 'pki'), now);
    assert.equal(pkiB.caFingerprint, pkiA.caFingerprint);
    assert.ok(isIssuedBy(pkiB.server.cert, pkiA.ca.cert));
    assert.equal(readFileSync(join(b, 'authd.pass'), 'utf8').trim(), password);
    // Node C starts empty.
    assert.equal(await syncSharedEnrollment(store, join(c, 'pki'), join(c, 'authd.pass'), now), 'adopted');
    assert.equal((await ensureManagerPki(join(c, 'pki'), now)).caFingerprint, pkiA.caFingerprint);
    // A restart changes nothing.
    assert.equal(await syncSharedEnrollment(store, join(c, 'pki'), join(c, 'authd.pass'), now), 'same');
    assert.equal(await store.getSetting(BUS_KEY_SETTING), busKey, 'one bus key for the cluster');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
