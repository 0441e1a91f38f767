import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  createCa,
  ensureManagerPki,
  fingerprintOf,
  isIssuedBy,
  issueAgentCert,
  MANAGER_CN,
  normalizeFingerprint,
} from '../../src/pki/pki.js';
import { makeDir, removeDir } from './support/fleet.js';

const dir = makeDir('pki');
after(() => {
  removeDir(dir);
});

describe('pki', () => {
  test('the manager PKI is created once, keys 0600, and reloaded unchanged', async () => {
    const pkiDir = path.join(dir, 'pki');
    const a = await ensureManagerPki(pkiDir, Date.now());
    const b = await ensureManagerPki(pkiDir, Date.now());
    assert.equal(a.caFingerprint, b.caFingerprint);
    assert.equal(a.server.cert, b.server.cert);
    assert.equal(statSync(path.join(pkiDir, 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(pkiDir, 'server.key')).mode & 0o777, 0o600);
    assert.equal(new X509Certificate(a.server.cert).subject, `CN=${MANAGER_CN}`);
    assert.ok(isIssuedBy(a.server.cert, a.ca.cert));
  });

  test('an agent certificate chains to its CA and carries the agent id as CN', async () => {
    const ca = await createCa(Date.now());
    const leaf = await issueAgentCert(ca, '042', Date.now());
    assert.ok(isIssuedBy(leaf.cert, ca.cert));
    assert.equal(new X509Certificate(leaf.cert).subject, 'CN=042');
    assert.equal(new X509Certificate(ca.cert).ca, true);
    assert.equal(new X509Certificate(leaf.cert).ca, false);
  });

  test('a certificate from another CA is refused', async () => {
    const ours = await createCa(Date.now());
    const theirs = await createCa(Date.now());
    const forged = await issueAgentCert(theirs, '001', Date.now());
    assert.equal(isIssuedBy(forged.cert, ours.cert), false);
  });

  test('fingerprints: SHA-256, any notation normalises to the same form', async () => {
    const ca = await createCa(Date.now());
    const fp = fingerprintOf(ca.cert);
    assert.match(fp, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(normalizeFingerprint(fp.replace(/:/g, '').toLowerCase()), fp);
    assert.equal(normalizeFingerprint(`SHA256:${fp}`), fp);
  });
});
