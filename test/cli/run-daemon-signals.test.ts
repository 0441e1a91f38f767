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

void test('a failed start takes its signal handlers off: a process something keeps alive still ends on SIGTERM', async () => {
  // The start leaves an interval running (what the agent's failed start once did), then fails.
  const script = `
    import { runDaemon } from ${JSON.stringify(RUN_DAEMON)};
    const log = (m) => process.stdout.write(m + '\\n');
    const before = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR2', 'SIGHUP'].map((s) => process.listenerCount(s));
    await runDaemon(async () => {
      setInterval(() => undefined, 1000);
      throw new Error('cannot listen');
    }, log).catch((err) => log('start failed: ' + err.message));
    const after = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR2', 'SIGHUP'].map((s) => process.listenerCount(s));
    log('handlers ' + JSON.stringify(before) + ' -> ' + JSON.stringify(after));
    log('SIGPIPE still ignored: ' + (process.listenerCount('SIGPIPE') > 0));
    log('ready');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('ready\n')) {
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const ended = await new Promise<string>((resolve) => {
    child.on('close', (code, signal) => {
      resolve(signal ?? String(code));
    });
  });
  clearTimeout(timer);
  assert.equal(ended, 'SIGTERM', out);
  assert.deepEqual(out.trim().split('\n'), [
    'start failed: cannot listen',
    'handlers [0,0,0,0,0] -> [0,0,0,0,0]',
    'SIGPIPE still ignored: true',
    'ready',
  ]);
});
