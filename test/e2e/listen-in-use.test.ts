/**
 * A daemon that cannot listen says why and exits 1 (CONFIG_INVALID), with the real CLI: `riposte
 * manager --listen` (its API, /enroll and agent link share that one port), `riposte start --listen`
 * and `riposte agent --listen` (the local API's loopback port) on a port another process holds.
 * Each exits on its own (a failed start that left a timer or a socket open would keep it alive: the
 * 30 s limit catches that), its stderr names the address and the reason, and it released what it
 * had opened: the home's lock is gone and the next start on that home and port succeeds.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { CLI, makeHome, removeHome, startDaemon } from './support/daemon-harness.js';
import { startManager } from '../manager/support/fleet.js';
import { onPrivateTmpfs } from '../support/private-tmpfs.js';

const EXIT_LIMIT_MS = 30_000;
const CONFIG = '<ossec_config></ossec_config>\n';

const homes: string[] = [];
after(() => {
  homes.forEach(removeHome);
});

function home(): string {
  const h = makeHome('riposte-listen-');
  homes.push(h);
  writeFileSync(join(h, 'ossec.conf'), CONFIG);
  return h;
}

/** A server of this test holding a loopback port, as "another process" would. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const release = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  return { port, release };
}

interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `riposte <args>` to its exit; fails (and kills it) if it is still alive after EXIT_LIMIT_MS.
 * `via` runs it through another command (onPrivateTmpfs's prefix), node and CLI appended to it.
 */
function runToExit(args: readonly string[], via: readonly string[] = []): Promise<Exited> {
  const argv = [...via, process.execPath, CLI, ...args];
  const child = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`riposte ${args[0] ?? ''} still running after ${EXIT_LIMIT_MS} ms:\n${stdout}${stderr}`),
      );
    }, EXIT_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function assertInUse(r: Exited, port: number, what: string): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const message = `Cannot listen on 127.0.0.1:${port} for ${what}: address already in use (EADDRINUSE); another process holds it`;
  // The CLI's line comes last; before it, the daemon log's (JSON, on stderr) says the start failed.
  assert.ok(r.stderr.endsWith(`\nriposte: ${message}\n`), r.stderr);
  assert.ok(r.stderr.includes(`"msg":"Start failed: ${message}"`), r.stderr);
  assert.doesNotMatch(r.stdout, /running in|listening on/);
}

function assertLockReleased(h: string): void {
  assert.equal(existsSync(join(h, 'var', 'riposte.lock')), false, 'the home lock is released');
}

void test('manager --listen on a port in use: exit 1 naming it, then a start on the freed port', async () => {
  const h = home();
  const held = await holdPort();
  const conf = join(h, 'ossec.conf');
  const listen = `127.0.0.1:${held.port}`;
  const r = await runToExit(['manager', '-c', conf, '--home', h, '--listen', listen]);
  assertInUse(r, held.port, 'the API, enrollment and agent link (--listen)');
  assertLockReleased(h);

  await held.release();
  const m = await startManager(h, conf, ['--listen', listen]);
  assert.equal(m.port, held.port);
  assert.equal(await m.stop(), 0, m.output());
  assertLockReleased(h);
});

for (const command of ['start', 'agent'] as const) {
  void test(`${command} --listen on a port in use: exit 1 naming it, then a start on the freed port`, async () => {
    const h = home();
    const held = await holdPort();
    const args = command === 'start' ? ['start', '-c', join(h, 'ossec.conf')] : ['agent'];
    const listen = ['--listen', `127.0.0.1:${held.port}`];
    const r = await runToExit([...args, ...listen, '--home', h]);
    assertInUse(r, held.port, 'the local API (--listen)');
    assertLockReleased(h);
    assert.equal(existsSync(join(h, 'var', 'api.sock')), false, 'the API socket is removed');

    await held.release();
    const d = await startDaemon(h, [...args, ...listen]);
    assert.match(d.output(), new RegExp(`http://127\\.0\\.0\\.1:${held.port}`));
    assert.equal(await d.stop(), 0, d.output());
    assertLockReleased(h);
  });
}

void test('a --home too long for its sockets: start and agent exit 1 naming the socket, nothing left running', async () => {
  const parent = home();
  // The execq socket <home>/queue/alerts/execq ends up over 107 bytes (Node would cut it short).
  const h = join(parent, 'h'.repeat(Math.max(1, 110 - parent.length)));
  for (const args of [['start', '-c', join(parent, 'ossec.conf')], ['agent']]) {
    const r = await runToExit([...args, '--home', h]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /(^|\n)riposte: Cannot listen on ".*\/queue\/alerts\/execq" for the execq socket: the path is 1\d\d bytes, longer than the 107 a unix socket address holds; use a shorter --home\n$/,
    );
    assertLockReleased(h);
  }
});

void test('an execq socket that cannot be made: start and agent exit 1 naming its path and the cause', async () => {
  for (const args of [['start', '-c', 'ossec.conf'], ['agent']]) {
    const h = home();
    mkdirSync(join(h, 'queue', 'alerts', 'execq'), { recursive: true }); // a directory in the way
    const r = await runToExit([...args.map((a) => (a === 'ossec.conf' ? join(h, a) : a)), '--home', h]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /(^|\n)riposte: Cannot listen on ".*\/queue\/alerts\/execq" for the execq socket: a directory is in the way at that path; remove it\n$/,
    );
    assertLockReleased(h);
  }
});

void test('a directory where the local API socket goes: start and agent exit 1 naming it', async () => {
  for (const args of [['start', '-c', 'ossec.conf'], ['agent']]) {
    const h = home();
    mkdirSync(join(h, 'var', 'api.sock'), { recursive: true });
    const r = await runToExit([...args.map((a) => (a === 'ossec.conf' ? join(h, a) : a)), '--home', h]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /(^|\n)riposte: Cannot listen on ".*\/var\/api\.sock" for the local API socket: a directory is in the way at that path; remove it\n$/,
    );
    assertLockReleased(h);
  }
});

void test('agent on a read-only queue directory: the bind fails, exit 1 naming it, and nothing keeps it alive', async () => {
  assert.equal(
    process.getuid?.(),
    0,
    'this test mounts a read-only tmpfs in a private mount namespace: run it as root',
  );
  const h = home();
  const queue = join(h, 'queue', 'alerts');
  mkdirSync(queue, { recursive: true });
  const r = await runToExit(['agent', '--home', h], onPrivateTmpfs(queue, 'ro,mode=0750'));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /(^|\n)riposte: Cannot listen on ".*\/queue\/alerts\/execq" for the execq socket: read-only file system \(EROFS\)\n$/,
  );
  assertLockReleased(h);
});
