/**
 * `riposte manager --store 'postgres://...?sslmode=verify-full&sslrootcert=CA'` (docs/scale-out.md,
 * "Store"), with the real CLI and a real PostgreSQL serving TLS with a certificate for 127.0.0.1
 * issued by a CA made here (the project's own CA code, src/pki/pki.ts). The server's pg_hba.conf
 * admits TCP connections over TLS only (`hostssl`), so a node's connection without TLS would be
 * refused; and pg_stat_ssl shows every backend of a running node (store, order bus, lease) on TLS.
 * A start whose TLS fails ends at once with CONFIG_INVALID (exit 1: a restart meets the same
 * certificate) and a message naming the URL (password as ***) and what to fix: a CA that did not
 * issue the server's certificate, no sslrootcert (Node's built-in CAs), a server without SSL, a
 * missing sslrootcert file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { MAIN, makeDir, removeDir, track, waitFor, type Proc } from '../manager/support/fleet.js';
import { startPgServer, type PgServer } from '../cluster/support/pg-server.js';
import { createCa, issueCert } from '../../src/pki/pki.js';

const root = makeDir('store-tls');
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');
/** The CA that issued the server's certificate. */
const caFile = path.join(root, 'db-ca.pem');
/** Another CA of the same name (one made again, say): its key did not sign the server's certificate. */
const otherCaFile = path.join(root, 'other-ca.pem');
/** Never needed (the server trusts loopback): only to show that it is never printed. */
const PASSWORD = 'pw-5be1-tls';
let tlsServer: PgServer | undefined;
let plainServer: PgServer | undefined;
let homes = 0;

/** Over TLS (local socket aside) only: a connection without it matches no line and is refused. */
const HBA_TLS_ONLY = 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n';

before(async () => {
  const now = Date.now();
  const ca = await createCa(now);
  const server = await issueCert(ca, { cn: '127.0.0.1', usage: 'server', dnsNames: ['127.0.0.1'] }, now);
  writeFileSync(caFile, ca.cert);
  writeFileSync(otherCaFile, (await createCa(now)).cert);
  tlsServer = await startPgServer(['ssl=on', 'ssl_cert_file=server.crt', 'ssl_key_file=server.key'], {
    files: { 'server.crt': server.cert, 'server.key': server.key, 'pg_hba.conf': HBA_TLS_ONLY },
  });
});

after(async () => {
  await tlsServer?.stop();
  await plainServer?.stop();
  removeDir(root);
});

/** The TLS server's URL with `query` (and `password` in its user part when given). */
function tlsUrl(query: string, password = ''): string {
  const user = password === '' ? 'postgres' : `postgres:${password}`;
  return `postgres://${user}@127.0.0.1:${String(tlsServer?.port)}/postgres${query}`;
}

const VERIFY_FULL = `?sslmode=verify-full&sslrootcert=${caFile}`;

async function superuser<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: tlsUrl(VERIFY_FULL) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * `riposte manager` on the store at `url`, with no password and no TLS setting from the
 * environment (pg reads PGSSLMODE when the URL says nothing; Node adds NODE_EXTRA_CA_CERTS' CAs).
 */
function manager(url: string): Proc {
  const dropped = new Set(['PGPASSWORD', 'PGSSLMODE', 'NODE_EXTRA_CA_CERTS']);
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !dropped.has(name))),
    PGPASSFILE: path.join(root, 'no-such-pgpass'),
  };
  const home = path.join(root, `home-${String(++homes)}`);
  const args = ['manager', '-c', conf, '--home', home, '--listen', '127.0.0.1:0', '--no-local-agent'];
  return track(
    spawn(process.execPath, [MAIN, ...args, '--store', url, '--bus', 'postgres'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/**
 * The exit code (or signal) of a start that must fail, and how long it took. One still running
 * after a minute is killed (SIGKILL), which fails the caller's exit-code check.
 */
async function exitOf(p: Proc): Promise<{ code: number | string; ms: number }> {
  const started = performance.now();
  const code = await p.ended(60_000);
  return { code, ms: performance.now() - started };
}

/** Asserts that `p` ended its start with exit 1 at once, saying `said` about the store `url`. */
async function refusedAtStart(p: Proc, url: string, said: RegExp): Promise<void> {
  const { code, ms } = await exitOf(p);
  assert.equal(code, 1, p.output());
  assert.ok(ms < 30_000, `exited after ${String(Math.round(ms))} ms: ${p.output()}`);
  const shown = url.replace(`:${PASSWORD}@`, ':***@');
  const line =
    p
      .output()
      .split('\n')
      .find((l) => l.startsWith('riposte: ')) ?? p.output();
  assert.ok(line.startsWith(`riposte: Cannot open the PostgreSQL store ${shown}: `), line);
  assert.match(line, said);
  assert.doesNotMatch(p.output(), new RegExp(`${PASSWORD}|listening`));
}

interface Backend {
  readonly application_name: string;
  readonly ssl: boolean;
}

/** Every client backend but the caller's own, with whether it is on TLS. */
async function backends(): Promise<Backend[]> {
  const r = await superuser((c) =>
    c.query<Backend>(
      `SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
        WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() ORDER BY 1`,
    ),
  );
  return r.rows;
}

test('sslmode=verify-full with the CA in sslrootcert: the node starts, its store, bus and lease on TLS', async () => {
  const p = manager(tlsUrl(VERIFY_FULL));
  try {
    await waitFor(`manager listening (${p.output()})`, 60_000, () => {
      if (p.child.exitCode !== null) {
        throw new Error(`manager exited: ${p.output()}`);
      }
      return /listening on https:\/\/127\.0\.0\.1:\d+/.test(p.output()) || undefined;
    });
    const wanted = ['riposte lease', 'riposte order bus', 'riposte store'];
    const seen = await waitFor(`sessions ${wanted.join(', ')}`, 30_000, async () => {
      const now = await backends();
      const names = now.map((b) => b.application_name);
      return wanted.every((w) => names.includes(w)) ? now : undefined;
    });
    assert.deepEqual(
      seen.filter((b) => !b.ssl),
      [],
      'every backend of the node is on TLS',
    );
    assert.doesNotMatch(p.output(), /warning:|SECURITY WARNING/, p.output());
  } finally {
    assert.equal(await p.stop('SIGTERM'), 0, p.output());
  }
});

test('the CA file gone while the node runs: its connections, cut, come back on TLS and it stays up', async () => {
  // The URL is parsed once at start (pg-connect.ts pgConfig); pg alone re-read the file for every
  // new connection, and one made from a timer with the file gone would have ended the daemon.
  const ownCa = path.join(root, 'db-ca-rotated.pem');
  copyFileSync(caFile, ownCa);
  const p = manager(tlsUrl(`?sslmode=verify-full&sslrootcert=${ownCa}`));
  const wanted = ['riposte lease', 'riposte order bus', 'riposte store'];
  const allBack = async (): Promise<Backend[] | undefined> => {
    assert.equal(p.child.exitCode, null, p.output());
    const now = await backends();
    const names = now.map((b) => b.application_name);
    return wanted.every((w) => names.includes(w)) ? now : undefined;
  };
  try {
    await waitFor(`the node's sessions (${p.output()})`, 60_000, allBack);
    rmSync(ownCa);
    await superuser((c) =>
      c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'riposte %'",
      ),
    );
    const again = await waitFor(`the sessions again (${p.output()})`, 60_000, allBack);
    assert.deepEqual(
      again.filter((b) => !b.ssl),
      [],
      'every new backend of the node is on TLS',
    );
  } finally {
    assert.equal(await p.stop('SIGTERM'), 0, p.output());
  }
});

test('another CA in sslrootcert: exit 1 at once, the certificate not trusted, the password never shown', async () => {
  const url = tlsUrl(`?sslmode=verify-full&sslrootcert=${otherCaFile}`, PASSWORD);
  await refusedAtStart(
    manager(url),
    url,
    new RegExp(
      `the server's certificate is not trusted: certificate signature failure \\(checked against sslrootcert=${otherCaFile}: ` +
        "it must hold the CA that issued the server's certificate\\)$",
    ),
  );
});

test("no sslrootcert: Node's built-in CAs do not trust the server's, exit 1 naming the fix", async () => {
  const url = tlsUrl('?sslmode=verify-full');
  await refusedAtStart(
    manager(url),
    url,
    /the server's certificate is not trusted: unable to verify the first certificate \(checked against Node's built-in CAs: add sslrootcert=/,
  );
});

test('a server with ssl off: exit 1, saying the server does not support SSL', async () => {
  plainServer = await startPgServer();
  const url = `postgres://postgres@127.0.0.1:${String(plainServer.port)}/postgres${VERIFY_FULL}`;
  await refusedAtStart(
    manager(url),
    url,
    /the server does not support SSL connections, and this URL requires TLS \(sslmode=verify-full\): turn ssl on in the server's postgresql\.conf/,
  );
});

test('an sslrootcert file that does not exist: exit 1, naming it', async () => {
  const missing = path.join(root, 'no-such-ca.pem');
  const url = tlsUrl(`?sslmode=verify-full&sslrootcert=${missing}`);
  await refusedAtStart(
    manager(url),
    url,
    new RegExp(`cannot read sslrootcert=${missing}: ENOENT: no such file or directory, open '${missing}'`),
  );
});
