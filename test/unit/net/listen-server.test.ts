/**
 * listenServer: a listen error the operator can fix rejects as CONFIG_INVALID (exit 1) naming the
 * listener, the address and the reason, the Node error kept as its cause; any other error rejects
 * unchanged; an error once listening is reported and the server goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { listenFailure, listenServer } from '../../../src/net/listen-server.js';
import { MAX_SOCKET_PATH_BYTES } from '../../../src/net/socket-path.js';
import { bindExecqSocket } from '../../../src/agent/execq-socket.js';
import { ErrorCode, isRiposteError, type RiposteError } from '../../../src/protocol/error-codes.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { userErrorOf } from '../../../src/cli/user-error.js';

const WHAT = 'the test port (--listen)';

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/** What listenServer rejected with, as a RiposteError (fails the test when it is not one). */
async function rejection(p: Promise<void>): Promise<RiposteError> {
  const err = await p.then(
    () => assert.fail('listen succeeded'),
    (e: unknown) => e,
  );
  assert.ok(isRiposteError(err), `not a RiposteError: ${String(err)}`);
  return err;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`listen ${code}`), { code, syscall: 'listen' });
}

void test('a port in use rejects as CONFIG_INVALID; an error once listening goes to onError and the server keeps accepting', async () => {
  const errors: string[] = [];
  const server = createServer((socket) => {
    socket.end('hi');
  });
  await listenServer(server, { host: '127.0.0.1', port: 0 }, WHAT, (err) => errors.push(err.message));
  const { port } = server.address() as AddressInfo;
  const other = createServer();
  const err = await rejection(listenServer(other, { host: '127.0.0.1', port }, WHAT, () => undefined));
  assert.equal(err.code, ErrorCode.CONFIG_INVALID);
  assert.equal(
    err.message,
    `Cannot listen on 127.0.0.1:${port} for the test port (--listen): address already in use (EADDRINUSE); another process holds it`,
  );
  assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE', 'the Node error is its cause');
  assert.equal(exitCodeFor(userErrorOf(err)), 1, 'the CLI exits 1, not 70');
  assert.equal(other.listening, false);
  // What net does when an accept fails (EMFILE): an 'error' event on the listening server.
  server.emit('error', new Error('accept EMFILE'));
  assert.deepEqual(errors, ['accept EMFILE']);
  const reply = await new Promise<string>((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let text = '';
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.on('end', () => {
      resolve(text);
    });
    c.on('error', reject);
  });
  assert.equal(reply, 'hi');
  await close(server);
});

void test('a socket path whose directory is missing rejects as CONFIG_INVALID naming the path', async () => {
  const path = '/nonexistent-riposte-dir/api.sock';
  const err = await rejection(
    listenServer(createServer(), { path }, 'the local API socket', () => undefined),
  );
  assert.equal(err.code, ErrorCode.CONFIG_INVALID);
  // libuv reports a missing directory as EACCES (as Windows does).
  assert.equal(
    err.message,
    `Cannot listen on "${path}" for the local API socket: permission denied (EACCES); its directory is missing or not writable by this user`,
  );
});

/**
 * 203.0.113.7 (TEST-NET-3, RFC 5737) is not on this host: bind(2) fails locally, nothing is sent.
 * Skipped where it would bind anyway (ip_nonlocal_bind) or where the host has that address.
 */
function nonLocalBindRefused(address: string): boolean {
  const nonlocal = '/proc/sys/net/ipv4/ip_nonlocal_bind';
  if (!existsSync(nonlocal) || readFileSync(nonlocal, 'utf8').trim() !== '0') {
    return false;
  }
  return !Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

void test(
  'an address not on this host rejects as CONFIG_INVALID (EADDRNOTAVAIL)',
  { skip: nonLocalBindRefused('203.0.113.7') ? false : 'this host would bind 203.0.113.7' },
  async () => {
    const server = createServer();
    const err = await rejection(
      listenServer(server, { host: '203.0.113.7', port: 0 }, WHAT, () => undefined),
    );
    assert.equal(
      err.message,
      'Cannot listen on 203.0.113.7:0 for the test port (--listen): address not available (EADDRNOTAVAIL); it is not an address of this host',
    );
  },
);

void test('listenFailure: the reason of each code the operator can fix; any other error unchanged', () => {
  const cases: [NodeJS.ErrnoException, { host: string; port: number } | { path: string }, string][] = [
    [
      errno('EPERM'),
      { host: '127.0.0.1', port: 1515 },
      'Cannot listen on 127.0.0.1:1515 for the test port (--listen): operation not permitted (EPERM); a security policy (SELinux, AppArmor, seccomp) refused it',
    ],
    [
      errno('EPERM'),
      { path: '/h/var/api.sock' },
      'Cannot listen on "/h/var/api.sock" for the test port (--listen): operation not permitted (EPERM); is its directory immutable (lsattr) or on a restricted mount?',
    ],
    [
      errno('ENOENT'),
      { path: '/h/var/api.sock' },
      'Cannot listen on "/h/var/api.sock" for the test port (--listen): its directory does not exist (ENOENT)',
    ],
    [
      errno('EACCES'),
      { host: '0.0.0.0', port: 443 },
      'Cannot listen on 0.0.0.0:443 for the test port (--listen): permission denied (EACCES); a port below 1024 needs root or CAP_NET_BIND_SERVICE',
    ],
    [
      errno('EACCES'),
      { host: '::1', port: 8443 },
      'Cannot listen on [::1]:8443 for the test port (--listen): permission denied (EACCES)',
    ],
    [
      errno('ENOTFOUND'),
      { host: 'nosuch.example', port: 1515 },
      'Cannot listen on nosuch.example:1515 for the test port (--listen): no such host name (ENOTFOUND); give a name or address of this host',
    ],
  ];
  for (const [cause, where, message] of cases) {
    const err = listenFailure(cause, where, WHAT);
    assert.ok(isRiposteError(err));
    assert.equal(err.code, ErrorCode.CONFIG_INVALID);
    assert.equal(err.message, message);
    assert.equal(err.cause, cause);
  }
  // EAI_AGAIN may pass (a name server at boot): left to the service manager's restart.
  for (const other of [errno('EMFILE'), errno('EAI_AGAIN'), errno('constructor'), new Error('no code')]) {
    const err = listenFailure(other, { host: '127.0.0.1', port: 1515 }, WHAT);
    assert.equal(err, other, 'left as it is');
    assert.equal(exitCodeFor(userErrorOf(err)), 70, 'still INTERNAL');
  }
});

void test('a socket path too long for a unix socket is refused before anything is made (Node would cut it short)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-long-'));
  try {
    const deep = join(dir, 'd'.repeat(MAX_SOCKET_PATH_BYTES - dir.length - 4));
    mkdirSync(deep);
    const fits = join(dir, 's'.repeat(MAX_SOCKET_PATH_BYTES - dir.length - 1));
    const server = createServer();
    await listenServer(server, { path: fits }, 'the fitting socket', () => undefined);
    assert.equal(Buffer.byteLength(fits), MAX_SOCKET_PATH_BYTES);
    assert.ok(existsSync(fits), 'made at its own path');
    await close(server);
    const long = join(deep, 'api.sock');
    const err = await rejection(
      listenServer(createServer(), { path: long }, 'the local API socket', () => undefined),
    );
    assert.equal(err.code, ErrorCode.CONFIG_INVALID);
    assert.equal(
      err.message,
      `Cannot listen on "${long}" for the local API socket: the path is ${Buffer.byteLength(long)} bytes, longer than the ` +
        `${MAX_SOCKET_PATH_BYTES} a unix socket address holds; use a shorter --home`,
    );
    assert.deepEqual(readdirSync(deep), [], 'no socket made at a cut-short path');
    assert.deepEqual(readdirSync(dir).sort(), [basename(deep)], 'nor beside it');
    const execq = await bindExecqSocket(
      join(deep, 'execq'),
      () => undefined,
      () => undefined,
    ).then(
      () => assert.fail('bound'),
      (e: unknown) => e,
    );
    assert.ok(isRiposteError(execq));
    assert.match(
      execq.message,
      /^Cannot listen on ".*\/execq" for the execq socket: the path is 1\d\d bytes/,
    );
    assert.deepEqual(readdirSync(deep), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
