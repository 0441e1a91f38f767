import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import '../../src/pki/reflect-metadata-shim.js';
import * as x509 from '@peculiar/x509';
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  createCa,
  ensureManagerPki,
  fingerprintOf,
  isIssuedBy,
  issueAgentCert,
  issueCert,
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

  test('an agent certificate made the fast way equals the @peculiar/x509 one field by field', async () => {
    // 2045: the 10-year validity ends in 2055, past UTCTime (GeneralizedTime from 2050, RFC 5280).
    for (const now of [Date.now(), Date.UTC(2045, 5, 1)]) {
      const ca = await createCa(now);
      const fast = await issueAgentCert(ca, '042', now);
      const slow = await issueCert(ca, { cn: '042', usage: 'client' }, now);
      const [f, s] = [new X509Certificate(fast.cert), new X509Certificate(slow.cert)];
      for (const field of ['subject', 'issuer', 'validFrom', 'validTo', 'ca', 'keyUsage'] as const) {
        assert.deepEqual(f[field], s[field], field);
      }
      assert.equal(f.serialNumber.length, s.serialNumber.length);
      assert.equal(f.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.ok(f.checkPrivateKey(createPrivateKey(fast.key)), 'the key is the certificate key');
      assert.ok(isIssuedBy(fast.cert, ca.cert), 'signed by the CA');
      const [pf, ps] = [new x509.X509Certificate(fast.cert), new x509.X509Certificate(slow.cert)];
      assert.deepEqual(pf.signatureAlgorithm, ps.signatureAlgorithm);
      const exts = (c: x509.X509Certificate): string[] =>
        c.extensions.map((e) => `${e.type} ${String(e.critical)} ${Buffer.from(e.rawData).toString('hex')}`);
      assert.deepEqual(exts(pf), exts(ps));
      assert.match(
        fast.cert,
        /^-----BEGIN CERTIFICATE-----\n(.{64}\n)*.{1,64}\n-----END CERTIFICATE-----\n$/,
      );
      assert.match(fast.key, /^-----BEGIN PRIVATE KEY-----\n/);
    }
  });

  test('fingerprints: SHA-256, any notation normalises to the same form', async () => {
    const ca = await createCa(Date.now());
    const fp = fingerprintOf(ca.cert);
    assert.match(fp, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(normalizeFingerprint(fp.replace(/:/g, '').toLowerCase()), fp);
    assert.equal(normalizeFingerprint(`SHA256:${fp}`), fp);
  });
});
