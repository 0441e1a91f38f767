/**
 * Connections not linked as agents on the manager's TLS port (core/net/connection-quota.ts,
 * link/connection-gate.ts), over real loopback sockets from several loopback addresses: past the
 * per-source limit a burst is refused while the held ones are younger than the minimum age, and a
 * newcomer closes its source's oldest connection once it is older (counted, warned), while
 * another source is served; linked agents hold no slot, while a connection with a certificate of
 * the CA that is not linked on /link holds one; at the overall limit the source holding the most
 * loses its oldest; a handshake never started is dropped after the time limit. `riposte manager`
 * refuses limits outside their range.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tcpConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { createLinkServer, type LinkServer } from '../../src/link/link-server.js';
import type { ConnectionLimits } from '../../src/core/net/connection-quota.js';
import type { LinkHandler } from '../../src/manager/link-handler.js';
import {
  ensureManagerPki,
  fingerprintOf,
  issueAgentCert,
  type KeyPairPem,
  type ManagerPki,
} from '../../src/pki/pki.js';
import { LINK_PATH } from '../../src/protocol/link.js';
import { rejectionCount } from '../../src/protocol/input-rejections.js';
import { MAIN, makeDir, removeDir, waitFor } from './support/fleet.js';

const root = makeDir('connection-quota');
let pki: ManagerPki;
let agent: KeyPairPem;

before(async () => {
  pki = await ensureManagerPki(join(root, 'pki'), Date.now());
  agent = await issueAgentCert(pki.ca, '001', Date.now());
});

after(() => {
  removeDir(root);
});

const handler: LinkHandler = {
  authenticate: (fingerprint) =>
    Promise.resolve(
      fingerprint === fingerprintOf(agent.cert)
        ? { ok: true, agentId: '001' }
        : { ok: false, reason: 'unknown' },
    ),
  opened: () => undefined,
  frame: () => undefined,
  seen: () => undefined,
  closed: () => undefined,
  drain: () => Promise.resolve(),
};

async function startServer(
  connectionLimits: ConnectionLimits,
  handshakeTimeoutMs?: number,
): Promise<{ server: LinkServer; port: number; warnings: string[] }> {
  const warnings: string[] = [];
  const server = createLinkServer({
    pki,
    handler,
    enroll: () => Promise.reject(new Error('not in this test')),
    connectionLimits,
    log: { warn: (msg: string) => warnings.push(msg) },
    ...(handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs } : {}),
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { server, port, warnings };
}

/** A TLS connection from `from` that completed its handshake (with `creds`: as an agent). */
function openTls(port: number, from: string, creds?: KeyPairPem): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      socket: tcpConnect({ host: '127.0.0.1', port, localAddress: from }),
      ca: pki.ca.cert,
      checkServerIdentity: () => undefined,
      ...(creds !== undefined ? { cert: creds.cert, key: creds.key } : {}),
    });
    s.once('secureConnect', () => {
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Agent 001 linked on `/link` from `from` (its certificate authenticated by the handler). */
async function link(port: number, from: string): Promise<WebSocket> {
  const options: WebSocket.ClientOptions & ConnectionOptions = {
    ca: pki.ca.cert,
    cert: agent.cert,
    key: agent.key,
    localAddress: from,
  };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const ws = new WebSocket(`wss://127.0.0.1:${port}${LINK_PATH}`, options);
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('close', reject);
  });
  return ws;
}

/** `GET /healthz`'s status from `from` (the server serves 404 without an API: any status is served). */
function get(port: number, from: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/healthz',
        localAddress: from,
        ca: pki.ca.cert,
        checkServerIdentity: () => undefined,
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves when `s` is closed (by the manager: an eviction or a time limit). */
function closedBy(s: Socket, what: string): Promise<true> {
  return waitFor(what, 15_000, () => (s.destroyed || s.closed ? true : undefined));
}

test("past its per-source limit a newcomer closes its source's oldest connection; other sources are served", async () => {
  const { server, port, warnings } = await startServer({ perSource: 3, overall: 100, minAgeMs: 0 });
  const held: TLSSocket[] = [];
  try {
    const before = rejectionCount('connection', 'rate-limited');
    for (let i = 0; i < 3; i++) {
      held.push(await openTls(port, '127.0.0.11'));
    }
    held.push(await openTls(port, '127.0.0.11'));
    await closedBy(held[0] as TLSSocket, 'the oldest of the source closed');
    assert.deepEqual(
      held.slice(1).map((s) => s.destroyed),
      [false, false, false],
      'the others stay',
    );
    assert.equal(rejectionCount('connection', 'rate-limited'), before + 1);
    assert.match(
      warnings.join('\n'),
      /1 connection\(s\) not linked as agents closed: too many.*127\.0\.0\.11/,
    );
    assert.equal(await get(port, '127.0.0.12'), 404, 'another source is served');
  } finally {
    held.forEach((s) => s.destroy());
    await server.close();
  }
});

test('linked agents hold no slot; a certificate that is not linked on /link holds one like any client', async () => {
  const { server, port } = await startServer({ perSource: 2, overall: 100, minAgeMs: 0 });
  const agents: WebSocket[] = [];
  const held: TLSSocket[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      agents.push(await link(port, '127.0.0.13'));
    }
    held.push(await openTls(port, '127.0.0.13'), await openTls(port, '127.0.0.13'));
    const certOnly = await openTls(port, '127.0.0.13', agent); // chains to the CA, never linked
    assert.equal(certOnly.authorized, true);
    await closedBy(held[0] as TLSSocket, 'the oldest client closed for the certificate-only connection');
    held.push(await openTls(port, '127.0.0.13'));
    await closedBy(held[1] as TLSSocket, 'the next oldest');
    held.push(await openTls(port, '127.0.0.13'));
    await closedBy(certOnly, 'the certificate-only connection, which holds a slot');
    assert.deepEqual(
      agents.map((ws) => ws.readyState),
      agents.map(() => WebSocket.OPEN),
      'five linked agents untouched by seven connections of their source over a limit of two',
    );
  } finally {
    held.forEach((s) => s.destroy());
    agents.forEach((ws) => {
      ws.terminate();
    });
    await server.close();
  }
});

test('at the overall limit a newcomer closes the oldest connection of the source holding the most', async () => {
  const { server, port } = await startServer({ perSource: 10, overall: 4, minAgeMs: 0 });
  const big: TLSSocket[] = [];
  const held: TLSSocket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      big.push(await openTls(port, '127.0.0.21'));
    }
    const small = await openTls(port, '127.0.0.22');
    held.push(small, await openTls(port, '127.0.0.23'));
    await closedBy(big[0] as TLSSocket, "the largest source's oldest closed");
    assert.equal(small.destroyed, false, 'the smaller source keeps its connection');
  } finally {
    [...big, ...held].forEach((s) => s.destroy());
    await server.close();
  }
});

test('past its per-source limit a burst is refused while its connections are younger than the minimum age', async () => {
  const { server, port } = await startServer({ perSource: 2, overall: 100 }); // 10 s
  const held: TLSSocket[] = [];
  try {
    held.push(await openTls(port, '127.0.0.15'), await openTls(port, '127.0.0.15'));
    await assert.rejects(openTls(port, '127.0.0.15'), 'the newcomer is closed before its handshake ends');
    assert.deepEqual(
      held.map((s) => s.destroyed),
      [false, false],
      'the two held are kept',
    );
    assert.equal(await get(port, '127.0.0.16'), 404, 'another source is served');
  } finally {
    held.forEach((s) => s.destroy());
    await server.close();
  }
});

test('a handshake never started is dropped after the time limit', async () => {
  const { server, port } = await startServer({ perSource: 10, overall: 10 }, 300);
  try {
    const idle = tcpConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.31' });
    idle.on('error', () => undefined);
    await new Promise((resolve) => idle.once('connect', resolve));
    await closedBy(idle, 'the idle connection dropped by the manager');
  } finally {
    await server.close();
  }
});

test('riposte manager refuses an out-of-range or malformed connection limit before starting, naming the flag', () => {
  const conf = join(root, 'ossec.conf');
  writeFileSync(conf, '<ossec_config></ossec_config>\n');
  const cases: [string[], RegExp][] = [
    [
      ['--unauthenticated-max-per-source', '0'],
      /--unauthenticated-max-per-source: 0 is not an integer from 1 to 1000000/,
    ],
    [['--unauthenticated-max', 'many'], /--unauthenticated-max: "many" is not a whole number/],
    [
      ['--unauthenticated-max', '2000000'],
      /--unauthenticated-max: 2000000 is not an integer from 1 to 1000000/,
    ],
  ];
  for (const [flags, message] of cases) {
    const r = spawnSync(
      process.execPath,
      [MAIN, 'manager', '-c', conf, '--home', join(root, 'never'), ...flags],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(r.status, 1, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stdout, /listening/);
  }
});
