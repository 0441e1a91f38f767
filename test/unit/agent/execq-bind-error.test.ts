/**
 * The execq socket that cannot be made (src/agent/execq-bind-error.ts): unix-dgram's numeric
 * errors read as Node's, each cause the operator can fix rejects as CONFIG_INVALID naming the path,
 * and a bind that failed leaves no handle behind (the process ends by itself). The read-only case
 * binds for real on a read-only tmpfs in a private mount namespace (`unshare -m`, root: CI is).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dgramErrno } from '../../../src/agent/execq-bind-error.js';
import { bindExecqSocket } from '../../../src/agent/execq-socket.js';
import { ErrorCode, isRiposteError } from '../../../src/protocol/error-codes.js';
import { onPrivateTmpfs } from '../../support/private-tmpfs.js';

const dir = mkdtempSync(join(tmpdir(), 'riposte-execq-bind-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const MODULE = fileURLToPath(new URL('../../../src/agent/execq-socket.js', import.meta.url));

async function refusal(path: string): Promise<Error> {
  return bindExecqSocket(
    path,
    () => undefined,
    () => undefined,
  ).then(
    () => assert.fail(`bound at ${path}`),
    (e: unknown) => e as Error,
  );
}

void test("unix-dgram's error (code = -errno) reads as Node's; any other error is kept as is", () => {
  const raw = Object.assign(new Error('bind -13'), { code: -13, errno: -13, syscall: 'bind' });
  const e = dgramErrno(raw) as NodeJS.ErrnoException;
  assert.equal(e.code, 'EACCES');
  assert.equal(e.message, 'bind EACCES');
  assert.equal(e.cause, raw);
  const node = Object.assign(new Error('x'), { code: 'EACCES' });
  assert.equal(dgramErrno(node), node);
  const unknown = Object.assign(new Error('bind -99999'), { code: -99999 });
  assert.equal(dgramErrno(unknown), unknown);
});

void test('a directory or a file in the way: CONFIG_INVALID naming the path and what to fix', async () => {
  const inTheWay = join(dir, 'a', 'execq');
  mkdirSync(inTheWay, { recursive: true });
  const e1 = await refusal(inTheWay);
  assert.ok(isRiposteError(e1) && e1.code === ErrorCode.CONFIG_INVALID, String(e1));
  assert.equal(
    e1.message,
    `Cannot listen on "${inTheWay}" for the execq socket: a directory is in the way at that path; remove it`,
  );
  writeFileSync(join(dir, 'file'), '');
  const underFile = join(dir, 'file', 'alerts', 'execq');
  const e2 = await refusal(underFile);
  assert.ok(isRiposteError(e2) && e2.code === ErrorCode.CONFIG_INVALID, String(e2));
  assert.equal(
    e2.message,
    `Cannot listen on "${underFile}" for the execq socket: a part of the path is a file, not a directory (ENOTDIR)`,
  );
});

void test('a bind refused by the kernel (read-only file system): CONFIG_INVALID, and the process ends by itself', () => {
  assert.equal(
    process.getuid?.(),
    0,
    'this test mounts a read-only tmpfs in a private mount namespace: run it as root',
  );
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  const child = join(dir, 'bind.mjs');
  writeFileSync(
    child,
    `import { bindExecqSocket } from ${JSON.stringify(pathToFileURL(MODULE).href)};\n` +
      `bindExecqSocket(process.argv[2], () => {}, () => {}).then(\n` +
      `  () => console.log(JSON.stringify({ bound: true })),\n` +
      `  (e) => console.log(JSON.stringify({ code: e.code, message: e.message })),\n` +
      `);\n`,
  );
  // No process.exit in the child: it must end on its own, as a daemon whose start failed must.
  const [cmd = 'unshare', ...prefix] = onPrivateTmpfs(ro, 'ro,mode=0750');
  const run = spawnSync(cmd, [...prefix, process.execPath, child, join(ro, 'execq')], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.signal, null, `still running after 30 s (a handle left open): ${run.stdout}${run.stderr}`);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    code: ErrorCode.CONFIG_INVALID,
    message: `Cannot listen on "${ro}/execq" for the execq socket: read-only file system (EROFS)`,
  });
});
