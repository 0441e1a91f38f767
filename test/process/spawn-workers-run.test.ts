/**
 * Tools run to completion on the spawn helper processes (SpawnWorkerPool.run, what the daemon uses
 * for nft/ip/...): same contract as runProcess (stdin in, stdout/stderr out, exit code), the abort
 * signal stops the whole process group, runTool goes through the runner set process-wide; the
 * children are forked by a helper, never by the pool's own process, and a helper does not outlive
 * its owner.
 */
import { after, before, describe, test } from 'node:test';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signalGroup } from '../../src/exec/kill-group.js';
import { DIRECT_INPUT_CHARS, SpawnWorkerPool } from '../../src/exec/spawn-workers.js';
import { runTool, setToolProcessRunner } from '../../src/scripts/contract/tools.js';
import type { ProcessSpec } from '../../src/exec/run-process.js';
import { isRunning, waitFor } from './process-probe.js';

/** A Node.js process that imports the pool's module and calls `handler` (source text) with it. */
function poolOwner(handler: string, stdio: StdioOptions): ChildProcess {
  const url = new URL('../../src/exec/spawn-workers.js', import.meta.url).href;
  const code = `import(${JSON.stringify(url)}).then(${handler});`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio });
}

const pool = new SpawnWorkerPool(1);
before(async () => {
  await pool.booted(); // the runs below go through a helper (until one has booted, they would not)
});
after(async () => {
  setToolProcessRunner(undefined);
  await pool.close();
});

describe('SpawnWorkerPool.run', () => {
  test('stdin in, stdout, stderr and the exit code out', async () => {
    const r = await pool.run({
      file: '/bin/sh',
      args: ['-c', 'tr a-z A-Z; echo oops >&2; exit 3'],
      input: 'block 198.51.100.7\n',
      timeoutMs: 10_000,
    });
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, 'BLOCK 198.51.100.7\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.spawnError, undefined);
    assert.equal(r.aborted, false);
  });

  test('a missing program is a spawn error, not a rejection', async () => {
    const r = await pool.run({ file: '/nonexistent/tool', args: [], timeoutMs: 10_000 });
    assert.equal(r.exitCode, null);
    assert.match(r.spawnError ?? '', /ENOENT/);
  });

  test('aborting the signal stops the process group; the result says aborted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-run-'));
    try {
      const pidFile = path.join(dir, 'pid');
      const abort = new AbortController();
      const running = pool.run({
        file: '/bin/sh',
        args: ['-c', 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 30', pidFile],
        timeoutMs: 60_000,
        killGraceMs: 500,
        signal: abort.signal,
      });
      assert.ok(await waitFor(() => fs.existsSync(pidFile), 10_000), 'the child started');
      const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      abort.abort();
      const r = await running;
      assert.equal(r.aborted, true);
      assert.ok(await waitFor(() => !isRunning(pid), 5000), 'the aborted child is gone');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('warm() starts one worker ahead, which the next run uses (no second worker)', async () => {
    const warmed = new SpawnWorkerPool(2);
    try {
      assert.equal(warmed.workerCount, 0);
      warmed.warm();
      warmed.warm();
      assert.equal(warmed.workerCount, 1);
      await warmed.booted();
      const r = await warmed.run({ file: '/bin/sh', args: ['-c', 'echo ok'], timeoutMs: 10_000 });
      assert.equal(r.stdout, 'ok\n');
      assert.equal(warmed.workerCount, 1);
    } finally {
      await warmed.close();
    }
  });

  test('a warmed pool that never ran anything does not keep its process alive', async () => {
    // The daemon's stop relies on it: every handle closed, the process exits on its own.
    const child = poolOwner('(m) => new m.SpawnWorkerPool(1).warm()', 'ignore');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Generous: a process start plus a worker start, on a busy machine.
    const code = await Promise.race([exited, sleep(30_000).then(() => 'still running' as const)]);
    child.kill('SIGKILL');
    assert.equal(code, 0);
  });

  test('the children are forked by a helper process, not by this one (its memory map is not locked)', async () => {
    await pool.booted();
    const r = await pool.run({ file: '/bin/sh', args: ['-c', 'echo $PPID'], timeoutMs: 10_000 });
    const parent = Number(r.stdout.trim());
    assert.ok(Number.isInteger(parent) && parent > 1, r.stdout);
    assert.notEqual(parent, process.pid);
    const stat = fs.readFileSync(`/proc/${parent}/stat`, 'utf8');
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]; // after the state field
    assert.equal(ppid, String(process.pid), 'the helper is a child of this process');
  });

  test('before a helper has booted, and for an input over DIRECT_INPUT_CHARS, a tool run is forked by this process', async () => {
    const fresh = new SpawnWorkerPool(1);
    try {
      const ppid = { file: '/bin/sh', args: ['-c', 'cat >/dev/null; echo $PPID'], timeoutMs: 10_000 };
      const early = await fresh.run({ ...ppid, input: 'x\n' }); // no helper yet (none is started)
      assert.equal(early.stdout, `${process.pid}\n`, 'no waiting for the helper');
      await fresh.booted();
      const later = await fresh.run({ ...ppid, input: 'x\n' });
      assert.notEqual(later.stdout, `${process.pid}\n`, 'booted: forked by the helper');
      const big = await fresh.run({ ...ppid, input: 'x'.repeat(DIRECT_INPUT_CHARS + 1) });
      assert.equal(big.stdout, `${process.pid}\n`, 'a large input is not carried through the helper');
      assert.equal(fresh.workerCount, 1);
    } finally {
      await fresh.close();
    }
  });

  test('a helper exits when its owner is killed (kill -9), even with a child running', async () => {
    // The owner starts a long child through its pool and prints the child's parent (the helper)
    // and the child's own pid, then idles until killed.
    const owner = poolOwner(
      `async (m) => {
         const p = new m.SpawnWorkerPool(1).start({ file: '/bin/sh', args: ['-c', 'echo $PPID $$; exec sleep 60'],
           timeoutMs: 120000, stdout: 'lines', stderrTailBytes: 1024, maxLineBytes: 1024 });
         const first = await p.readLine(30000);
         process.stdout.write((first.kind === 'line' ? first.line : '') + '\\n');
         setInterval(() => undefined, 1000);
       }`,
      ['ignore', 'pipe', 'inherit'],
    );
    let out = '';
    owner.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    let child = 0;
    try {
      // Generous: a process start plus a helper start, on a busy machine.
      assert.ok(await waitFor(() => out.endsWith('\n'), 30_000), 'the owner reported its helper');
      const [helper = 0, sleeper = 0] = out.trim().split(' ').map(Number);
      child = sleeper;
      assert.ok(isRunning(helper) && isRunning(child), out);
      owner.kill('SIGKILL');
      assert.ok(await waitFor(() => !isRunning(helper), 10_000), 'the helper exited with its owner');
    } finally {
      owner.kill('SIGKILL');
      if (child > 0) {
        signalGroup(child, 'SIGKILL'); // the script leads its own group, as every spawned child
      }
    }
  });

  test('runTool uses the process-wide runner (the daemon sets the spawn workers)', async () => {
    const seen: ProcessSpec[] = [];
    setToolProcessRunner((spec) => {
      seen.push(spec);
      return pool.run(spec);
    });
    const r = await runTool({ tool: 'cat', args: [], input: 'x\n' });
    assert.equal(r.stdout, 'x\n');
    assert.equal(seen.length, 1);
    assert.match(seen[0]?.file ?? '', /\/cat$/);
  });
});
