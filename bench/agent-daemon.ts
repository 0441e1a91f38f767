/**
 * Runs the real `riposte agent` daemon (the built CLI, `dist/src/cli/main.js`) as a child process
 * for the agent benchmarks, and measures how long it takes from spawn to its "running" line, which
 * the CLI prints after `startAgentRuntime` has restored (re-armed) every stored active response and
 * bound its execq socket and API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench/ -> dist/src/cli/main.js. */
export const CLI = path.resolve(here, '..', 'src', 'cli', 'main.js');
const RUNNING = / running in /;

/** Daemons still running: killed if the bench process exits before stopping them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    p.kill('SIGKILL');
  }
});

export interface AgentDaemon {
  readonly pid: number;
  /** Spawn to "running" line, in ms. */
  readonly startMs: number;
  /** stdout + stderr so far. */
  output(): string;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Resident memory of a live process from /proc/<pid>/status, in MiB: current (VmRSS) and peak (VmHWM). */
export function residentMiB(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m?.[1] === undefined ? NaN : Number(m[1]);
  };
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/**
 * Starts `riposte agent --home <home>` (plus `args`) and resolves once it printed its "running" line.
 * @throws Error when it exits first or is not running within `timeoutMs` (it is killed then).
 */
export function startAgentDaemon(
  home: string,
  timeoutMs: number,
  args: readonly string[] = [],
): Promise<AgentDaemon> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [CLI, 'agent', '--home', home, ...args], {
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
  const daemon = (startMs: number): AgentDaemon => ({
    pid: proc.pid ?? -1,
    startMs,
    output: () => out,
    stop: () => {
      proc.kill('SIGTERM');
      return exited;
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`riposte agent not running after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      const wasRunning = RUNNING.test(out);
      out += chunk.toString();
      if (!wasRunning && RUNNING.test(out)) {
        clearTimeout(timer);
        resolve(daemon(performance.now() - t0));
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`riposte agent exited (${code}) before running:\n${out}`));
    });
  });
}
