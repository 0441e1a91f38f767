/**
 * Tools run to completion on the spawn worker threads (SpawnWorkerPool.run, what the daemon uses
 * for nft/ip/...): same contract as runProcess (stdin in, stdout/stderr out, exit code), the abort
 * signal stops the whole process group, and runTool goes through the runner set process-wide.
 */
import { after, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpawnWorkerPool } from '../../src/exec/spawn-workers.js';
import { runTool, setToolProcessRunner } from '../../src/scripts/contract/tools.js';
import type { ProcessSpec } from '../../src/exec/run-process.js';
import { isRunning, waitFor } from './process-probe.js';

const pool = new SpawnWorkerPool(1);
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
      const r = await warmed.run({ file: '/bin/sh', args: ['-c', 'echo ok'], timeoutMs: 10_000 });
      assert.equal(r.stdout, 'ok\n');
      assert.equal(warmed.workerCount, 1);
    } finally {
      await warmed.close();
    }
  });

  test('a warmed pool that never ran anything does not keep its process alive', async () => {
    // The daemon's stop relies on it: every handle closed, the process exits on its own.
    const url = new URL('../../src/exec/spawn-workers.js', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import(${JSON.stringify(url)}).then((m) => new m.SpawnWorkerPool(1).warm());`,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Generous: a process start plus a worker start, on a busy machine.
    const code = await Promise.race([exited, sleep(30_000).then(() => 'still running' as const)]);
    child.kill('SIGKILL');
    assert.equal(code, 0);
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
