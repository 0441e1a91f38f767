/**
 * Shared test harness for the host-deny, disable-account, quarantine, notify, restart-riposte and
 * firewalld-drop tests: AR messages, in-process runs over an in-memory channel, and real process runs
 * of the installed shims (optionally inside a private mount namespace).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AR_LOG_RELATIVE_PATH, formatArLogTime } from '../../../src/scripts/contract/ar-log.js';
import { pairedChannel } from '../../../src/scripts/contract/channel.js';
import { runStockScript } from '../../../src/scripts/contract/run-stock-script.js';
import type { StockScript } from '../../../src/scripts/contract/stock-script.js';
import { installStockScripts } from '../../../src/scripts/install.js';
import type { ScriptHost } from '../../../src/protocol/script-io.js';

export const NOW = new Date(2024, 0, 2, 3, 4, 5);

/** A fresh temp dir `riposte-<tag>-XXXXXX`; the calling test file removes it in an after hook. */
export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `riposte-${tag}-`));
}

/** One AR message line as execd writes it. */
export function arMessage(command: string, alert: unknown, extraArgs: unknown[] = [], program = 'x'): string {
  return JSON.stringify({
    version: 1,
    origin: { name: 'node01', module: 'wazuh-execd' },
    command,
    parameters: { extra_args: extraArgs, alert, program: `active-response/bin/${program}` },
  });
}

/** An alert whose data carries `data`. */
export function alertWith(data: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return {
    id: '1700000000.42',
    rule: { id: '5710', level: 5, description: 'sshd: attempt' },
    data,
    ...extra,
  };
}

export interface RunResult {
  readonly code: number;
  /** Log messages without the timestamp/argv0 prefix. */
  readonly log: string[];
  /** Lines the script wrote to execd. */
  readonly written: string[];
}

/** Log messages of `home`'s active-responses.log, prefix `<time> <argv0>: ` stripped and checked. */
export function readArLog(home: string, argv0: string, now?: Date): string[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(home, AR_LOG_RELATIVE_PATH), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\S+): (.*)$/.exec(l);
      assert.ok(m, `log line has the Wazuh shape: ${l}`);
      assert.equal(m[1], argv0);
      if (now) {
        assert.ok(l.startsWith(formatArLogTime(now)));
      }
      return m[2] ?? '';
    });
}

/**
 * Runs `script` in-process with `first` as the message; every line the script writes is answered
 * with the same message rewritten to `reply` (default continue). Fresh log per call: the log is
 * truncated first.
 */
export async function runInProcess(
  script: StockScript,
  home: string,
  first: string,
  reply: 'continue' | 'abort' = 'continue',
): Promise<RunResult> {
  fs.rmSync(path.join(home, AR_LOG_RELATIVE_PATH), { force: true });
  const argv0 = `active-response/bin/${script.name}`;
  const host: ScriptHost = { home, argv0, now: () => NOW };
  const ch = pairedChannel();
  ch.peer.send(first);
  const written: string[] = [];
  const replyLine = JSON.stringify({ ...(JSON.parse(first) as object), command: reply });
  const peer = (async (): Promise<void> => {
    for (let line = await ch.peer.readLine(); line !== undefined; line = await ch.peer.readLine()) {
      written.push(line);
      ch.peer.send(replyLine);
    }
  })();
  const code = await runStockScript(script, ch.script, host);
  ch.peer.close();
  ch.peer.end();
  await peer;
  return { code, log: readArLog(home, argv0, NOW), written };
}

/** Installs the shims into `home` and returns the path of `name`'s executable. */
export function installedShim(home: string, name: string): string {
  installStockScripts(home);
  const file = path.join(home, 'active-response', 'bin', name);
  assert.ok(fs.existsSync(file), `shim ${name} installed`);
  return file;
}

export interface ProcessRun {
  /** argv before the shim (e.g. an unshare wrapper), empty for a direct run. */
  readonly prefix?: readonly string[];
  readonly shim: string;
  /** Arguments after the shim. */
  readonly args?: readonly string[];
  readonly stdinLines: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion; stdin gets `stdinLines` (then EOF). */
export function runShim(run: ProcessRun): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [...(run.prefix ?? []), run.shim, ...(run.args ?? [])];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? '', argv.slice(1), { env: run.env ?? process.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(run.stdinLines.map((l) => `${l}\n`).join(''));
  });
}

/**
 * argv prefix running a command in a private mount namespace where `mountpoint` is replaced:
 * an overlay (lower = the real dir, upper = `upper`) when the kernel allows it, else a bind mount of
 * `upper` itself. Either way every write lands in `upper` and the host's directory is untouched.
 */
export function privateMountPrefix(mountpoint: string, upper: string, work: string): string[] {
  const script =
    'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$1" 2>/dev/null || ' +
    'mount --bind "$2" "$1" || exit 99; shift 3; exec "$@"';
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    script,
    'sh',
    mountpoint,
    upper,
    work,
  ];
}

/** Injection and malformed values every srcip script must reject. */
export const BAD_IPS: readonly string[] = [
  '1.2.3.4;id',
  '$(id)',
  '`id`',
  '1.2.3.4\nid',
  '1.2.3.4 ',
  '10.1',
  '256.1.1.1',
  'fe80::1%eth0',
  '-1.2.3.4',
  '',
];
