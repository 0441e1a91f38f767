/**
 * Connections without an agent certificate on the manager's TLS port (link/connection-quota.ts,
 * link/connection-gate.ts), over real loopback sockets: past the per-source limit a source's next
 * connection is closed at accept and counted, while another source (another loopback address) is
 * served; connections whose handshake presented an agent certificate hold no slot; a closed
 * connection gives its slot back; the overall limit holds across sources; a handshake never
 * started is dropped after the handshake time limit, which frees its slot. `riposte manager`
 * refuses limits outside their range.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { createLinkServer, type LinkServer } from '../../src/link/link-server.js';
import type { ConnectionLimits } from '../../src/link/connection-quota.js';
import type { LinkHandler } from '../../src/manager/link-handler.js';
import { ensureManagerPki, issueAgentCert, type KeyPairPem, type ManagerPki } from '../../src/pki/pki.js';
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
  authenticate: () => Promise.resolve({ ok: false, reason: 'not in this test' }),
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

/** Whether a TLS connection from `from` completes its handshake ('refused': closed before it). */
function tryTls(port: number, from: string): Promise<'open' | 'refused'> {
  return openTls(port, from).then(
    (s) => {
      s.destroy();
      return 'open' as const;
    },
    () => 'refused' as const,
  );
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

test('past its per-source limit a source is refused at accept, other sources are served', async () => {
  const { server, port, warnings } = await startServer({ perSource: 3, overall: 100 });
  const held: TLSSocket[] = [];
  try {
    const refusedBefore = rejectionCount('connection', 'rate-limited');
    for (let i = 0; i < 3; i++) {
      held.push(await openTls(port, '127.0.0.11'));
    }
    assert.equal(await tryTls(port, '127.0.0.11'), 'refused', 'a fourth connection from the same source');
    assert.equal(rejectionCount('connection', 'rate-limited'), refusedBefore + 1);
    assert.match(
      warnings.join('\n'),
      /1 connection\(s\) refused: too many without an agent certificate.*127\.0\.0\.11/,
    );
    assert.equal(await get(port, '127.0.0.12'), 404, 'another source is served');
    const first = held.shift();
    first?.destroy();
    assert.equal(
      await waitFor('a slot given back by a closed connection', 10_000, async () =>
        (await tryTls(port, '127.0.0.11')) === 'open' ? true : undefined,
      ),
      true,
    );
  } finally {
    held.forEach((s) => s.destroy());
    await server.close();
  }
});

test('connections with an agent certificate hold no slot', async () => {
  const { server, port } = await startServer({ perSource: 2, overall: 2 });
  const held: TLSSocket[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const s = await openTls(port, '127.0.0.13', agent);
      assert.equal(s.authorized, true);
      held.push(s);
    }
    held.push(await openTls(port, '127.0.0.13'));
    assert.equal(await get(port, '127.0.0.13'), 404, 'five agents and one API client: one slot still free');
    held.push(await openTls(port, '127.0.0.13'));
    assert.equal(
      await tryTls(port, '127.0.0.13'),
      'refused',
      'both slots held by clients without a certificate',
    );
  } finally {
    held.forEach((s) => s.destroy());
    await server.close();
  }
});

test('the overall limit holds across sources', async () => {
  const { server, port } = await startServer({ perSource: 10, overall: 4 });
  const held: TLSSocket[] = [];
  try {
    for (const from of ['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24']) {
      held.push(await openTls(port, from));
    }
    assert.equal(await tryTls(port, '127.0.0.25'), 'refused', 'a fifth source, over the overall limit');
  } finally {
    held.forEach((s) => s.destroy());
    await server.close();
  }
});

test('a handshake never started is dropped after the time limit, and its slot is given back', async () => {
  const { server, port } = await startServer({ perSource: 1, overall: 10 }, 300);
  try {
    const idle = tcpConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.31' });
    let dropped = false;
    idle.on('error', () => undefined);
    idle.on('close', () => {
      dropped = true;
    });
    await new Promise((resolve) => idle.once('connect', resolve));
    assert.equal(await tryTls(port, '127.0.0.31'), 'refused', 'its one slot is held by the idle connection');
    await waitFor('the idle connection dropped by the manager', 15_000, () => (dropped ? true : undefined));
    assert.equal(
      await waitFor('the slot of the dropped connection given back', 10_000, async () =>
        (await tryTls(port, '127.0.0.31')) === 'open' ? true : undefined,
      ),
      true,
    );
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
