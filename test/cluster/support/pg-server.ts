/**
 * A private PostgreSQL for the cluster tests and benchmarks: initdb + pg_ctl from
 * /usr/lib/postgresql/15/bin (Debian's `postgresql`, installed by .ci/run), run as the `postgres`
 * user when we are root (PostgreSQL refuses to run as root), on a free 127.0.0.1 port, data in a
 * temp directory removed at stop, trust authentication on loopback only. Fails with a clear
 * message when it cannot start. `restart(mode)` stops it (fast: sessions are cut, like a crash of
 * the connections) and starts it again on the same port and data. `files` are written into the
 * data directory before the first start (a TLS test's certificate, key and pg_hba.conf).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../support/nats-server.js';
import { applyPgMigrations } from '../../../src/store/pg-manager-migrations.js';

export const PG_BIN = process.env['RIPOSTE_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

export interface PgServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  /** Stops PostgreSQL ("fast": every session is cut) and starts it again. */
  restart(): void;
  /** Stops it without starting again (start() brings it back). */
  stopServer(): void;
  start(): void;
  stop(): Promise<void>;
}

function asPostgres(args: readonly string[]): { status: number | null; out: string } {
  const root = process.getuid?.() === 0;
  const r = root
    ? spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8' })
    : spawnSync(args[0] ?? '', args.slice(1), { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

/** The postgres user's uid and gid when we are root (files it must own), else undefined. */
function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Writes each of `files` (name → content) into `data`, mode 0600 and owned by the server's user:
 * PostgreSQL refuses a key file that others can read.
 */
function writeDataFiles(data: string, files: Readonly<Record<string, string>>): void {
  const owner = postgresOwner();
  for (const [name, content] of Object.entries(files)) {
    const file = join(data, name);
    writeFileSync(file, content, { mode: 0o600 });
    if (owner !== undefined) {
      chownSync(file, owner.uid, owner.gid);
    }
  }
}

function must(what: string, r: { status: number | null; out: string }): void {
  if (r.status !== 0) {
    throw new Error(`PostgreSQL test server: ${what} failed: ${r.out.slice(-2000)}`);
  }
}

export interface PgServerOptions {
  /** Files written into the data directory (name → content, mode 0600) before the first start. */
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * Starts a private PostgreSQL. `settings`: extra `-c name=value` server settings (a benchmark's
 * `shared_preload_libraries=pg_stat_statements`, say). @throws when the binaries are missing or
 * it cannot start
 */
export async function startPgServer(
  settings: readonly string[] = [],
  { files = {} }: PgServerOptions = {},
): Promise<PgServer> {
  if (!existsSync(join(PG_BIN, 'initdb'))) {
    throw new Error(
      `${PG_BIN}/initdb not found: install Debian's postgresql (.ci/run does) or set RIPOSTE_PG_BIN`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'riposte-pg-'));
  const owner = postgresOwner();
  if (owner !== undefined) {
    chownSync(dir, owner.uid, owner.gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  must(
    'initdb',
    asPostgres([
      join(PG_BIN, 'initdb'),
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-sync',
    ]),
  );
  writeDataFiles(data, files);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200${settings.map((x) => ` -c ${x}`).join('')}`;
  const start = (): void => {
    must(
      'pg_ctl start',
      asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']),
    );
  };
  const stopServer = (): void => {
    must('pg_ctl stop', asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']));
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: () => {
      stopServer();
      start();
    },
    stopServer,
    start,
    stop: () => {
      asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/**
 * A private PostgreSQL with the manager store's migrations applied, as a node finds it once it
 * opened its store (the lease's table among them), for tests that run the cluster parts alone.
 */
export async function startMigratedPgServer(): Promise<PgServer> {
  const server = await startPgServer();
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    await applyPgMigrations(c);
  } finally {
    await c.end();
  }
  return server;
}
