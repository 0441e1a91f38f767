/**
 * The PostgreSQL a benchmark uses: RIPOSTE_BENCH_PG_URL when set (a server someone else runs),
 * else a private one (the cluster tests' harness: free loopback port, temp data dir).
 */
import { startPgServer } from '../test/cluster/support/pg-server.js';

export interface BenchPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  const url = process.env['RIPOSTE_BENCH_PG_URL'];
  if (url !== undefined) {
    return { url, stop: () => Promise.resolve() };
  }
  const server = await startPgServer();
  return { url: server.url, stop: () => server.stop() };
}
