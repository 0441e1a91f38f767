/**
 * `riposte manager --store postgres://...` and the store's password, with the real CLI and a real
 * PostgreSQL whose `riposte` role needs a password (SCRAM, pg_hba.conf): the password given in
 * PGPASSWORD (the URL, and so the process's command line, holds none) opens every connection a
 * node makes (store, order bus, lease); a password written in the URL works but is warned about,
 * never printed; a missing or wrong password or an unreachable server ends the start at once with
 * the exit code docs/errors.md gives (1: fix the credentials; 69: the store is unavailable).
 * The server's `authentication_timeout` is raised to its 600 s maximum: a node that left its
 * half-authenticated connection open (pg does after failing itself, with no password for SCRAM)
 * would stay alive that long instead of exiting.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { MAIN, makeDir, removeDir, track, waitFor, type Proc } from '../manager/support/fleet.js';
import { startPgServer, type PgServer } from '../cluster/support/pg-server.js';
import { freePort } from '../support/nats-server.js';

const SECRET = 'pw-7f3a-credential';
const root = makeDir('store-credentials');
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');
let server: PgServer | undefined;
let homes = 0;

async function superuser<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: server?.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

before(async () => {
  server = await startPgServer(['authentication_timeout=600']);
  const hba = await superuser(async (c) => {
    await c.query(`CREATE ROLE riposte LOGIN PASSWORD '${SECRET}'`);
    await c.query('CREATE DATABASE riposte OWNER riposte');
    const r = await c.query<{ hba_file: string }>('SHOW hba_file');
    return r.rows[0]?.hba_file ?? '';
  });
  // First matching line wins: the role needs its password on loopback; others stay trusted.
  const rules = readFileSync(hba, 'utf8');
  writeFileSync(hba, `host all riposte 127.0.0.1/32 scram-sha-256\n${rules}`);
  server.restart(); // pg_hba.conf is read at start (a reload would race the next connection)
});

after(async () => {
  await server?.stop();
  removeDir(root);
});

function storeUrl(password = '', port = server?.port ?? 0): string {
  return `postgres://riposte${password === '' ? '' : `:${password}`}@127.0.0.1:${port}/riposte`;
}

/** `riposte manager` on `url`, PGPASSWORD set only when given, no ~/.pgpass either way. */
function manager(url: string, pgPassword?: string): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, PGPASSFILE: path.join(root, 'no-such-pgpass') };
  delete env['PGPASSWORD'];
  if (pgPassword !== undefined) {
    env['PGPASSWORD'] = pgPassword;
  }
  const home = path.join(root, `home-${++homes}`);
  const args = ['manager', '-c', conf, '--home', home, '--listen', '127.0.0.1:0', '--no-local-agent'];
  return track(
    spawn(process.execPath, [MAIN, ...args, '--store', url, '--bus', 'postgres'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/**
 * The exit code (or signal) of a start that must fail. One still running after a minute is killed
 * (SIGKILL), which fails the caller's exit-code check.
 */
function exitOf(p: Proc): Promise<number | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
    const done = (): void => {
      clearTimeout(timer);
      resolve(p.child.exitCode ?? p.child.signalCode ?? -1);
    };
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      done();
    } else {
      p.child.once('exit', done);
    }
  });
}

async function listening(p: Proc): Promise<void> {
  await waitFor(`manager listening (${p.output()})`, 60_000, () => {
    if (p.child.exitCode !== null) {
      throw new Error(`manager exited: ${p.output()}`);
    }
    return /listening on https:\/\/127\.0\.0\.1:\d+/.test(p.output()) || undefined;
  });
}

/** The application names of the role's sessions now, sorted and distinct. */
async function sessionsOfRiposte(): Promise<string[]> {
  const r = await superuser((c) =>
    c.query<{ application_name: string }>(
      "SELECT DISTINCT application_name FROM pg_stat_activity WHERE usename = 'riposte' ORDER BY 1",
    ),
  );
  return r.rows.map((row) => row.application_name);
}

test('the password in PGPASSWORD opens the store, the order bus and the lease; argv holds none', async () => {
  const p = manager(storeUrl(), SECRET);
  try {
    await listening(p);
    const wanted = ['riposte lease', 'riposte order bus', 'riposte store'];
    await waitFor(`sessions ${wanted.join(', ')}`, 30_000, async () => {
      const names = await sessionsOfRiposte();
      return wanted.every((w) => names.includes(w)) || undefined;
    });
    const argv = readFileSync(`/proc/${String(p.child.pid)}/cmdline`, 'utf8');
    assert.match(argv, /postgres:\/\/riposte@127\.0\.0\.1:\d+\/riposte/);
    assert.doesNotMatch(argv, new RegExp(SECRET));
    assert.doesNotMatch(p.output(), /warning:|pw-7f3a/, 'nothing to warn about, the password never printed');
  } finally {
    assert.equal(await p.stop('SIGTERM'), 0, p.output());
  }
});

test('a password written in the URL works, with a warning that never shows it', async () => {
  const p = manager(storeUrl(SECRET));
  try {
    await listening(p);
    assert.match(
      p.output(),
      /warning: --store: this URL holds a password \(postgres:\/\/riposte:\*\*\*@127\.0\.0\.1:\d+\/riposte\), and every user of this host can read a process's command line .*PGPASSWORD or ~\/\.pgpass/,
    );
    assert.doesNotMatch(p.output(), new RegExp(SECRET));
  } finally {
    assert.equal(await p.stop('SIGTERM'), 0, p.output());
  }
});

test('no password for a server that asks for one: exit 1 at once, saying where to put it', async () => {
  const p = manager(storeUrl());
  const code = await exitOf(p);
  assert.equal(code, 1, p.output());
  assert.match(
    p.output(),
    /^riposte: Cannot open the PostgreSQL store postgres:\/\/riposte@127\.0\.0\.1:\d+\/riposte: the server asks for a password and none was given \(set PGPASSWORD or ~\/\.pgpass/m,
  );
  assert.doesNotMatch(p.output(), /listening/);
});

test("a wrong password: exit 1 with PostgreSQL's reason, the password never printed", async () => {
  const p = manager(storeUrl(), 'not-the-pw-91c2');
  const code = await exitOf(p);
  assert.equal(code, 1, p.output());
  assert.match(
    p.output(),
    /Cannot open the PostgreSQL store .*: password authentication failed for user "riposte"/,
  );
  assert.doesNotMatch(p.output(), /not-the-pw-91c2|listening/);
});

test("nothing listening at the store's address: exit 69 (STORE_UNAVAILABLE: a restart retries)", async () => {
  const p = manager(storeUrl('', await freePort()), SECRET);
  const code = await exitOf(p);
  assert.equal(code, 69, p.output());
  assert.match(
    p.output(),
    /^riposte: Cannot open the PostgreSQL store postgres:\/\/riposte@127\.0\.0\.1:\d+\/riposte: connect ECONNREFUSED/m,
  );
});

test('manager migrate-store --to with a password in the URL: the same warning, the password never shown', () => {
  const home = path.join(root, 'migrate-home'); // no var/manager.db: the command stops after the warning
  const r = spawnSync(
    process.execPath,
    [MAIN, 'manager', 'migrate-store', '--home', home, '--to', storeUrl(SECRET)],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /^warning: --to: this URL holds a password \(postgres:\/\/riposte:\*\*\*@127\.0\.0\.1:\d+\/riposte\), and every user of this host can read/m,
  );
  assert.match(r.stderr, /--from: .* does not exist/);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(SECRET));
});
