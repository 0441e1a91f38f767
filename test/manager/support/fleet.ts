/**
 * Test harness for a real manager process and real agent processes on loopback: temp homes,
 * enrollment through the CLI, the REST API over HTTPS pinned to the manager's CA, and the marks the
 * `mark` fixture script leaves in each home.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';

export const MAIN = path.resolve('dist/src/cli/main.js');
export const AGENT_CHILD = path.resolve('dist/test/manager/support/agent-child.js');
export const MARK_SCRIPT = path.resolve('test/manager/fixtures/mark');

export function makeDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `riposte-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Installs the `mark` fixture as `<home>/active-response/bin/mark`. */
export function installMark(home: string): void {
  const bin = path.join(home, 'active-response', 'bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(MARK_SCRIPT, path.join(bin, 'mark'));
  chmodSync(path.join(bin, 'mark'), 0o755);
}

export function marks(home: string): string[] {
  const file = path.join(home, 'marks.log');
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  /** Sends `signal` and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  /**
   * Resolves with the exit code (or signal name) of a process that must end by itself (a start
   * that fails); one still running after `limitMs` is killed (SIGKILL), failing the caller's check.
   */
  ended(limitMs?: number): Promise<number | string>;
}

/** `child` as a Proc: its output collected, `stop` sending a signal and resolving on exit. */
export function track(child: ChildProcess): Proc {
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, sig) => {
      resolve(code ?? sig ?? -1);
    });
  });
  return {
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      return exited;
    },
    ended: async (limitMs = 60_000) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Waits until the manager `p` says it is listening; fails at once if it exits first. */
export async function untilListening(p: Proc, limitMs = 60_000): Promise<void> {
  await waitFor(`listening (${p.output()})`, limitMs, () => {
    assert.equal(p.child.exitCode, null, p.output());
    return /listening on https:/.test(p.output()) || undefined;
  });
}

export interface ManagerProc extends Proc {
  readonly port: number;
  readonly home: string;
}

export async function startManager(
  home: string,
  conf: string,
  extra: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<ManagerProc> {
  const args = [MAIN, 'manager', '-c', conf, '--home', home, '--listen', '127.0.0.1:0', ...extra];
  const p = track(
    spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }),
  );
  const port = await waitFor(`manager listening (${p.output()})`, 20_000, () => {
    const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(p.output());
    if (p.child.exitCode !== null) {
      throw new Error(`manager exited: ${p.output()}`);
    }
    return m ? Number(m[1]) : undefined;
  });
  return { ...p, port, home };
}

/** Restarts a manager on the same port (after `stop`). */
export async function restartManager(
  m: ManagerProc,
  conf: string,
  extra: readonly string[] = [],
): Promise<ManagerProc> {
  const args = [MAIN, 'manager', '-c', conf, '--home', m.home, '--listen', `127.0.0.1:${m.port}`, ...extra];
  const p = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitFor('manager restarted', 20_000, () => /listening on/.test(p.output()) || undefined);
  return { ...p, port: m.port, home: m.home };
}

/** Runs `riposte agent enroll`; returns the CLI's exit status and output. */
export function enroll(
  home: string,
  port: number,
  name: string,
  secret: readonly string[],
): { status: number | null; out: string } {
  const args = [
    MAIN,
    'agent',
    'enroll',
    '--manager',
    `127.0.0.1:${port}`,
    '--name',
    name,
    '--home',
    home,
    ...secret,
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

export async function startAgent(home: string, env: Readonly<Record<string, string>> = {}): Promise<Proc> {
  installMark(home);
  const p = track(
    spawn(process.execPath, [AGENT_CHILD, home], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    }),
  );
  await waitFor(`agent ready (${p.output()})`, 20_000, () => /ready/.test(p.output()) || undefined);
  return p;
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** One REST call to the manager, pinned to its CA, with the admin token. */
export function api(
  m: { port: number; home: string },
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const ca = readFileSync(path.join(m.home, 'etc', 'pki', 'ca.pem'));
  const token = readFileSync(path.join(m.home, 'var', 'admin.token'), 'utf8').trim();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: m.port,
        method,
        path: urlPath,
        ca,
        checkServerIdentity: () => undefined,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          // JSON answers parsed; others (GET /metrics: Prometheus text) as they are.
          const json = (res.headers['content-type'] ?? '').includes('json');
          resolve({
            status: res.statusCode ?? 0,
            body: text === '' ? undefined : json ? (JSON.parse(text) as unknown) : text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Appends alerts (one JSON object per line) to `file`. */
export function appendAlerts(file: string, alerts: readonly object[]): void {
  writeFileSync(file, alerts.map((a) => `${JSON.stringify(a)}\n`).join(''), { flag: 'a' });
}

export function alert(ruleId: string, agentId: string, srcip: string, n: number): object {
  return {
    timestamp: '2026-11-20T08:15:17.123+0000',
    rule: { level: 10, description: 'test', id: ruleId, groups: ['test'] },
    agent: { id: agentId, name: `host-${agentId}` },
    id: `1763626517.${n}`,
    data: { srcip },
  };
}
