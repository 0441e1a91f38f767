/**
 * Runs the real `riposte` daemons as child processes in temp homes, for end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sendToExecq } from '../../../src/agent/execq-socket.js';
import { localClient } from '../../../src/cli/local-client.js';
import type { RemoteClient } from '../../../src/cli/remote-client.js';

export const CLI = resolve('dist/src/cli/main.js');
export const FIXTURE_SCRIPTS = resolve('test/fixtures/scripts');

export interface Daemon {
  readonly home: string;
  readonly proc: ChildProcess;
  readonly output: () => string;
  readonly api: () => RemoteClient;
  send(message: string): Promise<void>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill9(): Promise<void>;
}

export function makeHome(prefix = 'riposte-e2e-'): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  for (const d of ['etc/shared', 'active-response/bin', 'logs', 'var']) {
    mkdirSync(join(home, d), { recursive: true });
  }
  return home;
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** Copies a fixture script into the home's active-response/bin under `name`. */
export function installScript(home: string, fixture: string, name: string): void {
  const target = join(home, 'active-response/bin', name);
  copyFileSync(join(FIXTURE_SCRIPTS, fixture), target);
  chmodSync(target, 0o750);
}

export function writeArConf(home: string, lines: readonly string[]): void {
  writeFileSync(join(home, 'etc/shared/ar.conf'), lines.map((l) => `${l}\n`).join(''));
}

export function arLog(home: string): string[] {
  try {
    return readFileSync(join(home, 'logs/active-responses.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return [];
  }
}

export function daemonLog(home: string): { msg: string; level: number; [k: string]: unknown }[] {
  try {
    return readFileSync(join(home, 'logs/riposte.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { msg: string; level: number });
  } catch {
    return [];
  }
}

/** Polls `check` every 50 ms until it returns (or resolves to) a value other than undefined, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  ms: number,
  check: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Daemons still running: killed after the file's tests, even after a failed test (else it would hang). */
const live = new Set<ChildProcess>();
function killAll(): void {
  for (const p of live) {
    p.kill('SIGKILL');
  }
}
after(killAll);
process.on('exit', killAll);

/** Starts `riposte <args>` and resolves once it printed its "running" line. */
export async function startDaemon(
  home: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  /** A command prefix, e.g. ['ip', 'netns', 'exec', NS] (it must exec, keeping the pid). */
  wrap: readonly string[] = [],
): Promise<Daemon> {
  const argv = [...wrap, process.execPath, CLI, ...args, '--home', home];
  const proc = spawn(argv[0] ?? process.execPath, argv.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  live.add(proc);
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      live.delete(proc);
      r(code);
    }),
  );
  await Promise.race([
    waitFor('the daemon to start', 20_000, () => (out.includes(' running in ') ? true : undefined)),
    exited.then((code) => {
      throw new Error(`daemon exited (${code}) before starting:\n${out}`);
    }),
  ]);
  return {
    home,
    proc,
    output: () => out,
    api: () => localClient(home),
    send: (message) => sendToExecq(join(home, 'queue/alerts/execq'), message),
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** An AR message as Wazuh's manager sends it, for `srcip`. */
export function arMessage(arName: string, srcip: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 1,
    origin: { name: 'node01', module: 'wazuh-analysisd' },
    command: arName,
    parameters: {
      extra_args: [],
      alert: {
        id: `1700000000.${Math.floor(Math.random() * 1e6)}`,
        rule: { id: '5712', level: 10 },
        data: { srcip, ...extra },
      },
    },
  });
}
