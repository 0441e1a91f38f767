/**
 * TLS between a cluster node and NATS (src/cluster/nats-tls.ts) and what a failed first
 * connection tells the operator (src/cluster/nats-start-error.ts): TLS is asked for by a
 * `tls://` URL or the environment, files are read at start, a server named by IP address is
 * checked against that address, a bus off this host without TLS is warned about. Against real
 * servers: test/cluster/nats-tls.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { natsConnectTls, natsInClearWarning, natsTlsFromEnv } from '../../../src/cluster/nats-tls.js';
import { natsStartError } from '../../../src/cluster/nats-start-error.js';
import { storeChoice } from '../../../src/cli/commands/manager-store-flags.js';
import { refusal } from '../../support/refusal.js';
import { ErrorCode, RiposteError } from '../../../src/protocol/error-codes.js';

const STORE = 'postgres://riposte@db/riposte';

void test('TLS is asked for by tls:// or by RIPOSTE_NATS_CA / RIPOSTE_NATS_CERT, a client key pair complete', () => {
  assert.deepEqual(natsTlsFromEnv({}, false), { kind: 'none' });
  assert.deepEqual(natsTlsFromEnv({ RIPOSTE_NATS_CA: '' }, false), { kind: 'none' });
  assert.deepEqual(natsTlsFromEnv({}, true), { kind: 'tls' });
  assert.deepEqual(natsTlsFromEnv({ RIPOSTE_NATS_CA: '/ca.pem' }, false), { kind: 'tls', caFile: '/ca.pem' });
  assert.deepEqual(natsTlsFromEnv({ RIPOSTE_NATS_CERT: '/c.pem', RIPOSTE_NATS_KEY: '/c.key' }, false), {
    kind: 'tls',
    client: { certFile: '/c.pem', keyFile: '/c.key' },
  });
  for (const env of [
    { RIPOSTE_NATS_CERT: '/c.pem' },
    { RIPOSTE_NATS_KEY: '/c.key', RIPOSTE_NATS_CA: '/ca' },
  ]) {
    assert.match(
      refusal(() => natsTlsFromEnv(env, true)),
      /^CONFIG_INVALID: NATS TLS: RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY go together$/,
    );
  }
});

void test('storeChoice: tls:// makes TLS required, the environment adds its files; nats:// and tls:// do not mix', () => {
  assert.deepEqual(storeChoice(STORE, 'tls://n1:4222,tls://n2:4222', false, {}), {
    cluster: { storeUrl: STORE, bus: 'tls://n1:4222,tls://n2:4222', natsTls: { kind: 'tls' } },
  });
  assert.deepEqual(storeChoice(STORE, 'nats://n1:4222', false, { RIPOSTE_NATS_CA: '/ca.pem' }), {
    cluster: { storeUrl: STORE, bus: 'nats://n1:4222', natsTls: { kind: 'tls', caFile: '/ca.pem' } },
  });
  assert.deepEqual(storeChoice(STORE, 'nats://n1:4222', false, {}), {
    cluster: { storeUrl: STORE, bus: 'nats://n1:4222' },
  });
  assert.match(
    refusal(() => storeChoice(STORE, 'nats://n1:4222,tls://n2:4222', false, {})),
    /^CONFIG_INVALID: --bus: "nats:\/\/n1:4222,tls:\/\/n2:4222" mixes nats:\/\/ and tls:\/\/ servers/,
  );
  assert.match(
    refusal(() => storeChoice(STORE, 'tls://u:pw@n1:4222', false, {})),
    /^CONFIG_INVALID: --bus: "tls:\/\/u:\*\*\*@n1:4222" holds credentials/,
  );
});

void test('the files are read at start, an unreadable one refused by its variable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-nats-tls-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    writeFileSync(join(dir, 'c.pem'), 'CERT PEM');
    writeFileSync(join(dir, 'c.key'), 'KEY PEM');
    assert.deepEqual(natsConnectTls({ kind: 'none' }, 'nats://n1:4222'), {});
    const { tls } = natsConnectTls(
      {
        kind: 'tls',
        caFile: join(dir, 'ca.pem'),
        client: { certFile: join(dir, 'c.pem'), keyFile: join(dir, 'c.key') },
      },
      'tls://n1:4222',
    );
    assert.deepEqual(
      { ca: tls?.ca, cert: tls?.cert, key: tls?.key },
      { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
    );
    assert.deepEqual(Object.keys(natsConnectTls({ kind: 'tls' }, 'tls://n1:4222').tls ?? {}), [
      'checkServerIdentity',
    ]);
    assert.match(
      refusal(() => natsConnectTls({ kind: 'tls', caFile: join(dir, 'nope.pem') }, 'tls://n1:4222')),
      /^CONFIG_INVALID: NATS TLS: cannot read RIPOSTE_NATS_CA ".*nope\.pem": .*no such file/i,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

type Check = (host: string, cert: PeerCertificate) => Error | undefined;

function checkOf(servers: string): Check {
  const tls = natsConnectTls({ kind: 'tls' }, servers).tls as { checkServerIdentity: Check };
  return tls.checkServerIdentity;
}

function cert(names: string): PeerCertificate {
  return { subject: { CN: 'nats' }, subjectaltname: names } as unknown as PeerCertificate;
}

void test('a server named by IP address is checked against that address, not "localhost"', () => {
  // nats.js gives Node no server name for an IP address: Node then checks "localhost".
  const byIp = checkOf('tls://127.0.0.1:4222,tls://[::1]:4223');
  assert.equal(byIp('localhost', cert('IP Address:127.0.0.1')), undefined);
  assert.equal(byIp('localhost', cert('IP Address:0:0:0:0:0:0:0:1')), undefined);
  assert.match(String(byIp('localhost', cert('IP Address:127.0.0.2'))), /does not match/);
  const byName = checkOf('tls://nats.example:4222');
  assert.equal(byName('nats.example', cert('DNS:nats.example')), undefined);
  assert.match(String(byName('nats.example', cert('DNS:other.example'))), /does not match/);
  assert.match(String(byName('nats.example', cert('IP Address:127.0.0.1'))), /does not match/);
});

void test('a bus off this host without TLS is warned about; loopback or TLS is not', () => {
  assert.equal(
    natsInClearWarning('nats://127.0.0.1:4222,nats://localhost:4223,nats://[::1]:1', { kind: 'none' }),
    undefined,
  );
  assert.equal(natsInClearWarning('nats://n1:4222', { kind: 'tls' }), undefined);
  assert.match(
    natsInClearWarning('nats://127.0.0.1:4222,nats://n2.example:4222', { kind: 'none' }) ?? '',
    /^--bus: TLS to NATS at n2\.example is not required, so orders \(and NATS credentials\) may cross the network in clear: use tls:\/\//,
  );
});

function natsError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

void test('a failed first connection: TLS and credentials are CONFIG_INVALID, an absent server STORE_UNAVAILABLE', () => {
  const none = { kind: 'none' } as const;
  const tls = { kind: 'tls' } as const;
  const at = 'tls://nats.example:4222';
  const cases: readonly [Error, typeof none | typeof tls, ErrorCode, RegExp][] = [
    [
      natsError('AUTHORIZATION_VIOLATION'),
      none,
      ErrorCode.CONFIG_INVALID,
      /refused this node .*RIPOSTE_NATS_USER/,
    ],
    [
      natsError('CERT_SIGNATURE_FAILURE', 'certificate signature failure'),
      tls,
      ErrorCode.CONFIG_INVALID,
      /certificate is not accepted \(certificate signature failure\): set RIPOSTE_NATS_CA/,
    ],
    [natsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), none, ErrorCode.CONFIG_INVALID, /not accepted/],
    [
      natsError('ERR_TLS_CERT_ALTNAME_INVALID'),
      tls,
      ErrorCode.CONFIG_INVALID,
      /connect by a name or address it holds \(the --bus URL's host\)/,
    ],
    [
      natsError('SERVER_OPT_NA', 'tls'),
      tls,
      ErrorCode.CONFIG_INVALID,
      /offers no TLS, which this node requires/,
    ],
    [
      natsError('CONNECTION_REFUSED'),
      tls,
      ErrorCode.STORE_UNAVAILABLE,
      /could not be reached \(CONNECTION_REFUSED\)$/,
    ],
    [natsError('TIMEOUT'), none, ErrorCode.STORE_UNAVAILABLE, /could not be reached \(TIMEOUT\)$/],
    [
      natsError('TIMEOUT'),
      tls,
      ErrorCode.STORE_UNAVAILABLE,
      /\(TIMEOUT\): is it up\? .*set RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY$/,
    ],
  ];
  for (const [err, mode, code, message] of cases) {
    const got = natsStartError(err, at, mode);
    assert.ok(got instanceof RiposteError, err.message);
    assert.equal(got.code, code, got.message);
    assert.match(got.message, message);
    assert.ok(got.message.startsWith(`NATS at ${at}`), got.message);
    assert.equal(got.cause, err);
  }
  const other = natsError('BAD_JSON');
  assert.equal(natsStartError(other, at, tls), other);
  const withClient = { kind: 'tls', client: { certFile: '/c', keyFile: '/k' } } as const;
  assert.doesNotMatch(
    (natsStartError(natsError('TIMEOUT'), at, withClient) as Error).message,
    /RIPOSTE_NATS_CERT/,
  );
});
