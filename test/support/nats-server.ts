/**
 * A private NATS server with JetStream for tests and benchmarks: /usr/sbin/nats-server (Debian's
 * `nats-server`, installed by .ci/run) on a free 127.0.0.1 port, its store in a temp directory
 * removed at stop. Fails with a clear message when the binary is missing or the server does not
 * come up (a test that needs NATS never skips). `restart()` stops it and starts it again on the
 * same port and store (the bus must recover without a manual step); `pause()` and `resume()` do it
 * in two steps, for an outage of the test's length.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCert, writePair, type KeyPairPem } from '../../src/pki/pki.js';

export const NATS_SERVER_BIN = process.env['RIPOSTE_NATS_SERVER'] ?? '/usr/sbin/nats-server';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  restart(): Promise<void>;
  /** Stops it, the store kept, until resume(). */
  pause(): Promise<void>;
  /**
   * Starts it again on the same port and store (stopped first if running); `extra` replaces its
   * flags (another password) until the next resume or restart.
   */
  resume(extra?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
      });
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      resolve(false);
    });
  });
}

async function launch(
  port: number,
  storeDir: string,
  extra: readonly string[],
): Promise<{ child: ChildProcess; out: () => string }> {
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...extra];
  const child = spawn(NATS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  const deadline = Date.now() + 15_000;
  while (!/Server is ready/.test(text) || !(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on 127.0.0.1:${port}: ${text.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, out: () => text };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/**
 * Starts nats-server -js on a free loopback port; `extra`: more of its flags (`--user U --pass P`
 * to require a user, say). @throws when it cannot start
 */
export async function startNatsServer(extra: readonly string[] = []): Promise<NatsServer> {
  if (!existsSync(NATS_SERVER_BIN)) {
    throw new Error(
      `${NATS_SERVER_BIN} not found: install Debian's nats-server (.ci/run does) or set RIPOSTE_NATS_SERVER`,
    );
  }
  const storeDir = mkdtempSync(join(tmpdir(), 'riposte-nats-'));
  const port = await freePort();
  let { child } = await launch(port, storeDir, extra);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    restart: async () => {
      await stopChild(child);
      ({ child } = await launch(port, storeDir, extra));
    },
    pause: () => stopChild(child),
    resume: async (flags = extra) => {
      await stopChild(child); // not paused (a test that failed half-way): a restart
      ({ child } = await launch(port, storeDir, flags));
    },
    stop: async () => {
      await stopChild(child);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

export interface NatsTlsFiles {
  /** The CA (its key too: a test issues client certificates with it). */
  readonly ca: KeyPairPem;
  /** `<dir>/ca.pem`, what RIPOSTE_NATS_CA names. */
  readonly caFile: string;
  /** nats-server's flags naming its certificate and key (add `--tls` or `--tlsverify`). */
  readonly certFlags: readonly string[];
}

/**
 * A CA made now (src/pki) and a server certificate for 127.0.0.1 it signed, written to `dir`
 * (`ca.pem`/`ca.key`, `server.pem`/`server.key`), for a nats-server that serves TLS.
 */
export async function natsTlsFiles(dir: string): Promise<NatsTlsFiles> {
  const now = Date.now();
  const ca = await createCa(now);
  writePair(dir, 'ca', ca);
  writePair(
    dir,
    'server',
    await issueCert(ca, { cn: 'nats', usage: 'server', dnsNames: ['127.0.0.1'] }, now),
  );
  return {
    ca,
    caFile: join(dir, 'ca.pem'),
    certFlags: ['--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server.key')],
  };
}
