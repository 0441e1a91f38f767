/**
 * The cluster benchmarks' NATS server: nats-server -js on loopback (test/support/nats-server.ts).
 * With RIPOSTE_BENCH_NATS_TLS=1 it serves TLS only (`--tls`, a certificate for 127.0.0.1 issued
 * by a CA made here with the project's own PKI code), and the nodes run `--bus tls://...` with
 * RIPOSTE_NATS_CA, as docs/scale-out.md ("TLS to NATS") tells a deployment across hosts to.
 */
import { natsTlsFiles, startNatsServer, type NatsServer } from '../test/support/nats-server.js';

export const NATS_TLS = process.env['RIPOSTE_BENCH_NATS_TLS'] === '1';

export interface BenchNats {
  readonly server: NatsServer;
  /** The nodes' --bus. */
  readonly bus: string;
  /** What the nodes' environment adds. */
  readonly env: Readonly<Record<string, string>>;
}

/** Starts the server; its TLS files (when NATS_TLS) go in `dir` (made if missing). */
export async function startBenchNats(dir: string): Promise<BenchNats> {
  if (!NATS_TLS) {
    const server = await startNatsServer();
    return { server, bus: server.url, env: {} };
  }
  const { caFile, certFlags } = await natsTlsFiles(dir);
  const server = await startNatsServer(['--tls', ...certFlags]);
  return {
    server,
    bus: server.url.replace('nats://', 'tls://'),
    env: { RIPOSTE_NATS_CA: caFile },
  };
}
