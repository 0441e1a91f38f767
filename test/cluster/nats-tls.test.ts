/**
 * The order bus over NATS with TLS (src/cluster/nats-tls.ts), against real nats-server processes
 * on loopback whose certificates a test CA made here signs (the project's own PKI code): one that
 * requires TLS (`--tls`), one that also verifies its clients (`--tlsverify`), one without TLS.
 * Nodes verifying the server against RIPOSTE_NATS_CA hand orders over; a server whose
 * certificate another CA signed, a server offering no TLS where it is required, and a server
 * verifying clients that this node has no certificate for, each end a start with the exit code
 * and message docs/errors.md gives; the real `riposte manager --bus tls://...` takes the CA from
 * its environment.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BusOrder, OrderBus } from '../../src/cluster/order-bus.js';
import { createNatsBus } from '../../src/cluster/nats-bus.js';
import { BusSeal, newBusKey } from '../../src/cluster/bus-seal.js';
import type { NatsTls } from '../../src/cluster/nats-tls.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { createCa, issueCert, writePair } from '../../src/pki/pki.js';
import { natsTlsFiles, startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startPgServer, type PgServer } from './support/pg-server.js';
import { MAIN, makeDir, removeDir, track, untilListening, waitFor } from '../manager/support/fleet.js';

const root = makeDir('nats-tls');
const pki = path.join(root, 'pki');
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');
const seal = new BusSeal(newBusKey());
const file = (name: string): string => path.join(pki, name);
/** Verified against the CA that signed the servers' certificates. */
const trusting: NatsTls = { kind: 'tls', caFile: file('ca.pem') };
const withClient: NatsTls = {
  ...trusting,
  client: { certFile: file('node.pem'), keyFile: file('node.key') },
};
let tlsOnly: NatsServer;
let verifying: NatsServer;
let plain: NatsServer;
let pgServer: PgServer;

before(async () => {
  const now = Date.now();
  const { ca, certFlags } = await natsTlsFiles(pki);
  writePair(pki, 'other-ca', await createCa(now));
  writePair(pki, 'node', await issueCert(ca, { cn: 'node', usage: 'client' }, now));
  tlsOnly = await startNatsServer(['--tls', ...certFlags]);
  verifying = await startNatsServer(['--tlsverify', ...certFlags, '--tlscacert', file('ca.pem')]);
  plain = await startNatsServer();
  pgServer = await startPgServer();
});

after(async () => {
  await Promise.all([tlsOnly.stop(), verifying.stop(), plain.stop(), pgServer.stop()]);
  removeDir(root);
});

function bus(servers: string, tls?: NatsTls): OrderBus {
  return createNatsBus({ servers, seal, ...(tls ? { tls } : {}) });
}

const quiet = { onOrders: () => undefined, onResync: () => undefined };

/** bus.start's refusal: its code and message. */
async function refusal(b: OrderBus): Promise<{ code: string; message: string }> {
  try {
    await b.start(quiet);
    return { code: 'started', message: '' };
  } catch (err: unknown) {
    return { code: String((err as { code?: unknown }).code), message: (err as Error).message };
  } finally {
    await b.close();
  }
}

test('nodes verifying the server by its IP address, with client certificates, hand orders over TLS', async () => {
  for (const [server, tls] of [
    [tlsOnly, trusting],
    [verifying, withClient],
  ] as const) {
    const got: BusOrder[] = [];
    const a = bus(server.url, tls);
    const b = bus(server.url.replace('nats://', 'tls://'), tls);
    await a.start(quiet);
    await b.start({ onOrders: (o) => got.push(...o), onResync: () => undefined });
    try {
      a.publish([{ agentId: '001', seq: 1, kind: 'add', payload: '{"x":1}' }]);
      await waitFor('the hand-off', 20_000, () => (got.length === 1 ? true : undefined));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }
});

test('a certificate another CA signed, or no CA given, is refused: CONFIG_INVALID naming RIPOSTE_NATS_CA', async () => {
  for (const tls of [{ kind: 'tls', caFile: file('other-ca.pem') } as const, undefined]) {
    const r = await refusal(bus(tlsOnly.url, tls));
    assert.equal(r.code, ErrorCode.CONFIG_INVALID, r.message);
    assert.match(
      r.message,
      /^NATS at nats:\/\/127\.0\.0\.1:\d+: its TLS certificate is not accepted \(.+\): set RIPOSTE_NATS_CA/,
    );
  }
});

test('a server without TLS is refused when TLS is required: CONFIG_INVALID', async () => {
  const r = await refusal(bus(plain.url.replace('nats://', 'tls://'), { kind: 'tls' }));
  assert.equal(r.code, ErrorCode.CONFIG_INVALID, r.message);
  assert.match(r.message, /^NATS at tls:\/\/127\.0\.0\.1:\d+ offers no TLS, which this node requires/);
});

test('a server verifying its clients, and this node without a certificate: STORE_UNAVAILABLE saying so', async () => {
  // The server closes the connection after the handshake; nats.js reports only its own timeout.
  const r = await refusal(bus(verifying.url, trusting));
  assert.equal(r.code, ErrorCode.STORE_UNAVAILABLE, r.message);
  assert.match(r.message, /could not be reached \(TIMEOUT\): .*set RIPOSTE_NATS_CERT and RIPOSTE_NATS_KEY$/);
});

test('riposte manager --bus tls://... verifies the server against RIPOSTE_NATS_CA', async () => {
  const url = tlsOnly.url.replace('nats://', 'tls://');
  const run = (ca: string, home: string) =>
    track(
      spawn(
        process.execPath,
        [MAIN, 'manager', '-c', conf, '--home', path.join(root, home), '--listen', '127.0.0.1:0'].concat([
          '--no-local-agent',
          '--store',
          pgServer.url,
          '--bus',
          url,
        ]),
        { env: { ...process.env, RIPOSTE_NATS_CA: ca }, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
  const ok = run(file('ca.pem'), 'trusting');
  try {
    await untilListening(ok);
  } finally {
    assert.equal(await ok.stop('SIGTERM'), 0, ok.output());
  }
  const refused = run(file('other-ca.pem'), 'other');
  assert.equal(await refused.ended(), 1, refused.output());
  assert.match(
    refused.output(),
    /riposte: NATS at tls:\/\/127\.0\.0\.1:\d+: its TLS certificate is not accepted/,
  );
});
