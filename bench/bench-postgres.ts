/**
 * The PostgreSQL a benchmark uses: RIPOSTE_BENCH_PG_URL when set (a server someone else runs),
 * else a private one (the cluster tests' harness: free loopback port, temp data dir).
 * The private server runs with fsync on (the test harness turns it off) and PostgreSQL's defaults
 * otherwise. RIPOSTE_BENCH_PG_STATS=1 loads pg_stat_statements in it (statementStats reads it);
 * RIPOSTE_BENCH_PG_SETTINGS adds server settings, space-separated `name=value` (an investigation:
 * auto_explain, a log directory kept after the run).
 */
import pg from 'pg';
import { startPgServer } from '../test/cluster/support/pg-server.js';

export interface BenchPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

const STATS = process.env['RIPOSTE_BENCH_PG_STATS'] === '1';
const SETTINGS = (process.env['RIPOSTE_BENCH_PG_SETTINGS'] ?? '').split(' ').filter((x) => x !== '');

export async function benchPostgres(): Promise<BenchPostgres> {
  const url = process.env['RIPOSTE_BENCH_PG_URL'];
  if (url !== undefined) {
    return { url, stop: () => Promise.resolve() };
  }
  // The test harness runs PostgreSQL with fsync=off (tests measure nothing); a benchmark whose
  // rows say "durable" runs it as a deployment does: fsync back on (the last -c wins), every other
  // durability setting at PostgreSQL's default (synchronous_commit, full_page_writes on).
  const server = await startPgServer([
    'fsync=on',
    ...(STATS ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all'] : []),
    ...SETTINGS,
  ]);
  if (STATS) {
    await onClient(server.url, (c) => c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
  }
  return { url: server.url, stop: () => server.stop() };
}

async function onClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Empties pg_stat_statements (RIPOSTE_BENCH_PG_STATS=1; else nothing). */
export async function resetStatementStats(url: string): Promise<void> {
  if (STATS) {
    await onClient(url, (c) => c.query('SELECT pg_stat_statements_reset()'));
  }
}

/**
 * The statements run since the last reset, most total time first (RIPOSTE_BENCH_PG_STATS=1; else
 * undefined): calls, total and mean execution ms, rows, and the statement's first 90 characters.
 */
export async function statementStats(url: string, top = 15): Promise<string | undefined> {
  if (!STATS) {
    return undefined;
  }
  const r = await onClient(url, (c) =>
    c.query<{ calls: string; total: number; mean: number; rows: string; query: string }>(
      `SELECT calls, total_exec_time AS total, mean_exec_time AS mean, rows, query
         FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1`,
      [top],
    ),
  );
  return r.rows
    .map(
      (s) =>
        `${s.calls.padStart(7)} calls ${s.total.toFixed(0).padStart(7)} ms (mean ${s.mean.toFixed(2)}) ` +
        `${s.rows.padStart(7)} rows  ${s.query.replace(/\s+/g, ' ').slice(0, 90)}`,
    )
    .join('\n');
}
