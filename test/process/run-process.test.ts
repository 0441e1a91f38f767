import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess, startProcess } from '../../src/exec/run-process.js';
import { isRunning, killGroupOf, waitFor } from './process-probe.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs a /bin/sh script with positional args (passed as argv elements, never spliced). */
function sh(script: string, extra: { timeoutMs?: number; killGraceMs?: number; args?: string[] } = {}) {
  return runProcess({
    file: '/bin/sh',
    args: ['-c', script, 'sh', ...(extra.args ?? [])],
    timeoutMs: extra.timeoutMs ?? 10_000,
    ...(extra.killGraceMs === undefined ? {} : { killGraceMs: extra.killGraceMs }),
  });
}

function firstPid(stdout: string): number {
  const pid = Number(stdout.split('\n')[0]);
  assert.ok(Number.isInteger(pid) && pid > 1, `expected a pid on stdout, got ${JSON.stringify(stdout)}`);
  return pid;
}

void describe('runProcess', () => {
  void test('reports the exit code and captures stdout and stderr', async () => {
    const r = await sh('echo out; echo err >&2; exit 7');
    assert.equal(r.exitCode, 7);
    assert.equal(r.signal, null);
    assert.equal(r.timedOut, false);
    assert.equal(r.spawnError, undefined);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.ok(r.durationMs >= 0);
  });

  void test('writes input to stdin and closes it', async () => {
    const input = 'line one\nline two\n';
    const r = await runProcess({ file: 'cat', args: [], input, timeoutMs: 5000 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, input);
  });

  void test('without input, stdin is /dev/null (cat ends at once)', async () => {
    const r = await runProcess({ file: 'cat', args: [], timeoutMs: 5000 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout, '');
  });

  void test('passes args verbatim as argv elements, never through a shell', async () => {
    const hostile = ['$(touch pwned)', '; echo injected', '`id`', 'a b', '*'];
    const r = await sh('printf "%s\\n" "$@"', { args: hostile });
    assert.equal(r.stdout, hostile.map((a) => `${a}\n`).join(''));
    assert.equal(fs.existsSync(path.join(process.cwd(), 'pwned')), false);
  });

  void test('sets argv0, cwd and env', async () => {
    const r = await runProcess({
      file: process.execPath,
      args: ['-e', 'console.log(JSON.stringify([process.argv0, process.cwd(), process.env.RIPOSTE_T]))'],
      argv0: 'custom-argv0',
      cwd: tmp,
      env: { RIPOSTE_T: 'value', UNSET_ONE: undefined },
      timeoutMs: 10_000,
    });
    assert.deepEqual(JSON.parse(r.stdout), ['custom-argv0', fs.realpathSync(tmp), 'value']);
  });

  void test('keeps at most maxOutputBytes per stream and drains the rest', async () => {
    const r = await runProcess({
      file: '/bin/sh',
      args: ['-c', 'head -c 20000000 /dev/zero; head -c 3000 /dev/zero >&2'],
      maxOutputBytes: 1000,
      timeoutMs: 20_000,
    });
    assert.equal(r.exitCode, 0);
    assert.equal(r.timedOut, false);
    assert.equal(Buffer.byteLength(r.stdout), 1000);
    assert.equal(Buffer.byteLength(r.stderr), 1000);
  });

  void test('a child that exits without reading a large stdin does not crash us (EPIPE)', async () => {
    const r = await runProcess({
      file: 'true',
      args: [],
      input: 'x'.repeat(4 * 1024 * 1024),
      timeoutMs: 5000,
    });
    assert.equal(r.exitCode, 0);
    assert.equal(r.spawnError, undefined);
  });

  void test('on timeout SIGTERMs the whole group, grandchild included', async () => {
    const r = await sh('sleep 30 & echo $!; wait', { timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.exitCode, null);
    const grandchild = firstPid(r.stdout);
    assert.ok(await waitFor(() => !isRunning(grandchild), 10_000), `grandchild ${grandchild} still running`);
  });

  void test('SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    // The time limit leaves sh ample time to set its trap, even on a busy machine.
    const r = await sh('trap "" TERM; echo ready; while :; do sleep 0.1; done', {
      timeoutMs: 2000,
      killGraceMs: 300,
    });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.stdout, 'ready\n');
    assert.ok(r.durationMs >= 2250, `killed too early: ${r.durationMs} ms`);
    assert.ok(r.durationMs < 15_000, `killed too late: ${r.durationMs} ms`);
  });

  void test('SIGKILLs a SIGTERM-ignoring grandchild left behind by a leader that died', async () => {
    // A long grace, so that the grandchild is surely still alive when the result comes back.
    const r = await sh('(trap "" TERM; sleep 30; :) & echo $!; wait', { timeoutMs: 2000, killGraceMs: 4000 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGTERM');
    const grandchild = firstPid(r.stdout);
    assert.ok(isRunning(grandchild), 'the grandchild should survive SIGTERM until the grace ends');
    assert.ok(await waitFor(() => !isRunning(grandchild), 15_000), `grandchild ${grandchild} still running`);
  });

  void test('a leftover grandchild holding the pipes does not delay the result, and loses them', async () => {
    // It sleeps, then writes to the stdout it inherited: our end is closed by then, so it gets EPIPE.
    const r = await sh('(sleep 3; echo late || echo "write failed" >&2 2>/dev/null; sleep 30) & echo $!', {
      timeoutMs: 20_000,
    });
    assert.equal(r.exitCode, 0);
    assert.equal(r.timedOut, false);
    // Far below the 33 s the grandchild would hold the pipes for.
    assert.ok(r.durationMs < 10_000, `took ${r.durationMs} ms`);
    assert.doesNotMatch(r.stdout, /late/);
    const grandchild = firstPid(r.stdout);
    try {
      // A script that exits by itself keeps its background children, as with Wazuh's execd.
      assert.equal(isRunning(grandchild), true, `grandchild ${grandchild} was killed`);
    } finally {
      killGroupOf(grandchild);
    }
  });

  void test("a script's detached background job outlives it, as with Wazuh's execd (nohup ... &)", async () => {
    const marker = path.join(tmp, 'background-done');
    const r = await sh(`(sleep 1; echo done > ${marker}) </dev/null >/dev/null 2>&1 & echo $!`, {
      timeoutMs: 20_000,
    });
    assert.equal(r.exitCode, 0);
    const job = firstPid(r.stdout);
    try {
      assert.ok(await waitFor(() => fs.existsSync(marker), 20_000), 'the background job did not finish');
      assert.equal(fs.readFileSync(marker, 'utf8'), 'done\n');
    } finally {
      killGroupOf(job);
    }
  });

  void test('reports spawn failures in spawnError instead of throwing', async () => {
    const missing = await runProcess({ file: path.join(tmp, 'does-not-exist'), args: [], timeoutMs: 1000 });
    assert.match(missing.spawnError ?? '', /ENOENT/);
    assert.equal(missing.exitCode, null);
    const notExecutable = path.join(tmp, 'not-executable');
    fs.writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const denied = await runProcess({ file: notExecutable, args: [], timeoutMs: 1000 });
    assert.match(denied.spawnError ?? '', /EACCES/);
    const badCwd = await runProcess({
      file: 'true',
      args: [],
      cwd: path.join(tmp, 'no-dir'),
      timeoutMs: 1000,
    });
    assert.match(badCwd.spawnError ?? '', /ENOENT/);
    const nulByte = await runProcess({ file: 'true', args: ['a\0b'], timeoutMs: 1000 });
    assert.notEqual(nulByte.spawnError, undefined);
  });
});

void describe('startProcess', () => {
  const base = { args: [] as string[], timeoutMs: 10_000, stderrTailBytes: 64, maxLineBytes: 8191 } as const;

  void test('exchanges lines: first line delivered once, later output discarded', async () => {
    const p = startProcess({
      ...base,
      file: '/bin/sh',
      args: ['-c', 'read a; echo "got $a"; echo extra; read b; echo "$b" >&2'],
      stdout: 'lines',
    });
    p.writeLine('hello');
    assert.deepEqual(await p.readLine(5000), { kind: 'line', line: 'got hello' });
    p.writeLine('reply');
    p.closeStdin();
    const exit = await p.done;
    assert.deepEqual(await p.readLine(100), { kind: 'eof' });
    assert.equal(exit.exitCode, 0);
    assert.equal(exit.stderrTail, 'reply\n');
  });

  void test('cuts a long first line at maxLineBytes', async () => {
    const p = startProcess({
      ...base,
      file: '/bin/sh',
      args: ['-c', 'head -c 10000 /dev/zero | tr "\\0" a; echo; echo second'],
      stdout: 'lines',
    });
    const read = await p.readLine(5000);
    assert.equal(read.kind, 'line');
    assert.equal(read.kind === 'line' ? read.line : '', 'a'.repeat(8191));
    assert.equal((await p.done).exitCode, 0);
  });

  void test('readLine times out without consuming; a later call still gets the line', async () => {
    const p = startProcess({
      ...base,
      file: '/bin/sh',
      args: ['-c', 'sleep 0.5; echo late'],
      stdout: 'lines',
    });
    assert.deepEqual(await p.readLine(50), { kind: 'timeout' });
    assert.deepEqual(await p.readLine(5000), { kind: 'line', line: 'late' });
    await p.done;
  });

  void test('a partial line before EOF counts as the line (fgets semantics); no output is eof', async () => {
    const partial = startProcess({
      ...base,
      file: '/bin/sh',
      args: ['-c', 'printf partial'],
      stdout: 'lines',
    });
    assert.deepEqual(await partial.readLine(5000), { kind: 'line', line: 'partial' });
    const silent = startProcess({ ...base, file: 'true', stdout: 'lines' });
    assert.deepEqual(await silent.readLine(5000), { kind: 'eof' });
    await Promise.all([partial.done, silent.done]);
  });

  void test("stdout 'ignore' gives eof at once; writes after exit are ignored", async () => {
    const p = startProcess({
      ...base,
      file: '/bin/sh',
      args: ['-c', 'read a; echo "$a" >&2'],
      stdout: 'ignore',
    });
    assert.deepEqual(await p.readLine(5000), { kind: 'eof' });
    p.writeLine('to-stderr');
    p.closeStdin();
    const exit = await p.done;
    assert.equal(exit.stderrTail, 'to-stderr\n');
    p.writeLine('after exit');
    p.closeStdin();
  });

  void test('keeps only the last stderrTailBytes of stderr', async () => {
    const p = startProcess({
      ...base,
      file: '/bin/sh',
      args: ['-c', 'head -c 100000 /dev/zero | tr "\\0" a >&2; printf END >&2'],
      stdout: 'ignore',
      stderrTailBytes: 10,
    });
    p.closeStdin();
    assert.equal((await p.done).stderrTail, 'aaaaaaaEND');
  });

  void test('kill() terminates the group', async () => {
    const p = startProcess({
      ...base,
      file: '/bin/sh',
      args: ['-c', 'sleep 30 & echo $!; wait'],
      stdout: 'lines',
    });
    const read = await p.readLine(5000);
    assert.equal(read.kind, 'line');
    const grandchild = Number(read.kind === 'line' ? read.line : '');
    p.kill();
    const exit = await p.done;
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(exit.timedOut, false);
    assert.ok(await waitFor(() => !isRunning(grandchild), 10_000), `grandchild ${grandchild} still running`);
  });

  void test('reports spawn failures in done, never throws', async () => {
    const p = startProcess({ ...base, file: path.join(tmp, 'missing'), stdout: 'lines' });
    p.writeLine('ignored');
    p.closeStdin();
    assert.deepEqual(await p.readLine(1000), { kind: 'eof' });
    assert.match((await p.done).spawnError ?? '', /ENOENT/);
  });
});
