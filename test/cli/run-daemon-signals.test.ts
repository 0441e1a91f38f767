/**
 * runDaemon's signal handling around start-up: a SIGTERM that arrives while the daemon is still
 * starting (or just after its "running" line) is a clean stop, not the process's silent default
 * death. The daemon here is a child process whose start() signals itself before it finishes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN_DAEMON = fileURLToPath(new URL('../../src/cli/daemon/run-daemon.js', import.meta.url));

function runChild(signal: 'SIGTERM' | 'SIGINT'): Promise<{ code: number | null; out: string }> {
  const script = `
    import { runDaemon } from ${JSON.stringify(RUN_DAEMON)};
    const log = (m) => process.stdout.write(m + '\\n');
    await runDaemon(async () => {
      process.kill(process.pid, ${JSON.stringify(signal)});
      await new Promise((r) => setTimeout(r, 50));
      log('running');
      return { stop: async () => log('stopped cleanly') };
    }, log);
    log('runDaemon returned');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      resolve({ code, out });
    });
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  void test(`${signal} during start-up: the start finishes, then a clean stop, exit 0`, async () => {
    const { code, out } = await runChild(signal);
    assert.equal(code, 0, out);
    assert.deepEqual(out.trim().split('\n'), [
      `Received ${signal}: stopping.`,
      'running',
      'stopped cleanly',
      'runDaemon returned',
    ]);
  });
}
