/**
 * Runs a real Riposte daemon (the built CLI, `dist/src/cli/main.js`) inside a scratch network
 * namespace, as a user would start it, and reports when it printed its "running" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ScratchNetns } from './scratch-netns.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench/ -> dist/src/cli/main.js. */
export const CLI = path.resolve(here, '..', 'src', 'cli', 'main.js');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    p.kill('SIGKILL');
  }
});

export interface Daemon {
  readonly pid: number;
  /** Spawn to "running" line, in ms. */
  readonly startMs: number;
  output(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
}

/**
 * Starts `riposte <args>` inside `ns` and resolves once a line matches `ready`.
 * @throws Error when it exits first or is not ready within `timeoutMs` (then it is killed).
 */
export function startDaemon(
  ns: ScratchNetns,
  args: readonly string[],
  timeoutMs: number,
  ready: RegExp = / running in /,
): Promise<Daemon> {
  const t0 = performance.now();
  const [cmd, ...pre] = ns.prefix();
  // RIPOSTE_BENCH_NODE_ARGS: extra node flags for the daemon (e.g. --cpu-prof) when investigating.
  const nodeArgs = (process.env['RIPOSTE_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const proc = spawn(cmd ?? 'ip', [...pre, process.execPath, ...nodeArgs, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code) => {
      live.delete(proc);
      resolve(code);
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`riposte ${args[0] ?? ''} not running after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    let isReady = false;
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (!isReady && ready.test(out)) {
        isReady = true;
        clearTimeout(timer);
        resolve({
          pid: proc.pid ?? -1,
          startMs: performance.now() - t0,
          output: () => out,
          stop: () => {
            proc.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      if (!isReady) {
        reject(new Error(`riposte ${args[0] ?? ''} exited (${code}) before running:\n${out}`));
      }
    });
  });
}
