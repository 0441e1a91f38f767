/**
 * The cluster benchmarks' NATS server: nats-server -js on loopback (test/support/nats-server.ts).
 * With RIPOSTE_BENCH_NATS_TLS=1 it serves TLS only (`--tls`, a certificate for 127.0.0.1 issued
 * by a CA made here with the project's own PKI code), and the nodes run `--bus tls://...` with
 * RIPOSTE_NATS_CA, as docs/scale-out.md ("TLS to NATS") tells a deployment across hosts to.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createCa, issueCert, writePair } from '../src/pki/pki.js';
import { startNatsServer, type NatsServer } from '../test/support/nats-server.js';

export const NATS_TLS = process.env['RIPOSTE_BENCH_NATS_TLS'] === '1';

export interface BenchNats {
  readonly server: NatsServer;
  /** The nodes' --bus. */
  readonly bus: string;
  /** What the nodes' environment adds. */
  readonly env: Readonly<Record<string, string>>;
}

/** Starts the server; its TLS files (when NATS_TLS) go in `dir`. */
export async function startBenchNats(dir: string): Promise<BenchNats> {
  if (!NATS_TLS) {
    const server = await startNatsServer();
    return { server, bus: server.url, env: {} };
  }
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const ca = await createCa(now);
  writePair(dir, 'ca', ca);
  writePair(
    dir,
    'server',
    await issueCert(ca, { cn: 'nats', usage: 'server', dnsNames: ['127.0.0.1'] }, now),
  );
  const file = (name: string): string => path.join(dir, name);
  const server = await startNatsServer([
    '--tls',
    '--tlscert',
    file('server.pem'),
    '--tlskey',
    file('server.key'),
  ]);
  return {
    server,
    bus: server.url.replace('nats://', 'tls://'),
    env: { RIPOSTE_NATS_CA: file('ca.pem') },
  };
}
