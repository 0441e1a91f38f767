/**
 * Test fixture: two network namespaces ("attacker" and "victim") joined by a veth pair created
 * inside them (the host's own interfaces, routes and firewall are never touched), a TCP listener in
 * the victim, a connect probe from the attacker, and a minimal execd that runs an installed stock
 * script inside the victim (add message, check_keys -> continue/abort reply, delete message).
 * Addresses are test-only: 10.231.<n>.0/24 and fd00:231:<n>::/64, inside the namespaces only.
 */
import { after, before } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installStockScripts } from '../../src/scripts/install.js';

export interface NetnsPair {
  readonly attacker: string;
  readonly victim: string;
  readonly attacker4: string;
  readonly victim4: string;
  readonly attacker6: string;
  readonly victim6: string;
  readonly port: number;
}

function sh(
  args: readonly string[],
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(args[0] ?? '', args.slice(1), { encoding: 'utf8', input, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command inside namespace `ns`; throws on failure unless `allowFail`. */
export function inNs(
  ns: string,
  args: readonly string[],
  opts: { allowFail?: boolean; input?: string } = {},
): string {
  const r = sh(['ip', 'netns', 'exec', ns, ...args], opts.input);
  if (r.status !== 0 && opts.allowFail !== true) {
    throw new Error(`ip netns exec ${ns} ${args.join(' ')} failed: ${r.stderr}`);
  }
  return r.stdout;
}

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) {
    return 'needs root (creates network namespaces)';
  }
  const probe = `rip-${randomBytes(4).toString('hex')}-p`;
  const r = sh(['ip', 'netns', 'add', probe]);
  if (r.status !== 0) {
    return `ip netns add failed: ${r.stderr.trim()}`;
  }
  sh(['ip', 'netns', 'del', probe]);
  return undefined;
}

/** Creates the two namespaces and the veth link between them, with addresses and links up. */
export function createPair(): NetnsPair {
  const id = randomBytes(4).toString('hex');
  const n = 1 + ((randomBytes(1)[0] ?? 0) % 250);
  const pair: NetnsPair = {
    attacker: `rip-${id}-a`,
    victim: `rip-${id}-v`,
    attacker4: `10.231.${n}.1`,
    victim4: `10.231.${n}.2`,
    attacker6: `fd00:231:${n.toString(16)}::1`,
    victim6: `fd00:231:${n.toString(16)}::2`,
    port: 20000 + ((randomBytes(2).readUInt16BE(0) % 20000) | 0),
  };
  for (const ns of [pair.attacker, pair.victim]) {
    const r = sh(['ip', 'netns', 'add', ns]);
    if (r.status !== 0) {
      destroyPair(pair);
      throw new Error(`ip netns add ${ns}: ${r.stderr}`);
    }
    inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  }
  inNs(pair.attacker, [
    'ip',
    'link',
    'add',
    'veth-a',
    'type',
    'veth',
    'peer',
    'name',
    'veth-v',
    'netns',
    pair.victim,
  ]);
  const sides: [string, string, string, string][] = [
    [pair.attacker, 'veth-a', pair.attacker4, pair.attacker6],
    [pair.victim, 'veth-v', pair.victim4, pair.victim6],
  ];
  for (const [ns, dev, a4, a6] of sides) {
    inNs(ns, ['ip', 'addr', 'add', `${a4}/24`, 'dev', dev]);
    inNs(ns, ['ip', '-6', 'addr', 'add', `${a6}/64`, 'dev', dev, 'nodad']);
    inNs(ns, ['ip', 'link', 'set', dev, 'up']);
  }
  return pair;
}

/** Deletes both namespaces (and with them the veth pair and every rule inside). */
export function destroyPair(pair: NetnsPair): void {
  sh(['ip', 'netns', 'del', pair.attacker]);
  sh(['ip', 'netns', 'del', pair.victim]);
}

const PROBE = `const s = require('net').connect({ host: process.argv[1], port: Number(process.argv[2]), timeout: 1000 });
s.on('connect', () => process.exit(0)); s.on('timeout', () => process.exit(1)); s.on('error', () => process.exit(2));`;

/** True when a TCP connection from the attacker to the victim's listener succeeds within ~1 s. */
export function canConnect(pair: NetnsPair, family: 4 | 6): boolean {
  const host = family === 4 ? pair.victim4 : pair.victim6;
  const r = sh([
    'ip',
    'netns',
    'exec',
    pair.attacker,
    process.execPath,
    '-e',
    PROBE,
    host,
    String(pair.port),
  ]);
  return r.status === 0;
}

/** Starts a dual-stack TCP listener in the victim and waits until IPv4 and IPv6 connects work. */
export async function startListener(pair: NetnsPair): Promise<ChildProcess> {
  const server = `require('net').createServer((s) => s.end()).listen(Number(process.argv[1]), '::');`;
  const child = spawn(
    'ip',
    ['netns', 'exec', pair.victim, process.execPath, '-e', server, String(pair.port)],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (canConnect(pair, 4) && canConnect(pair, 6)) {
      return child;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('listener in the victim namespace did not come up');
}

/** The AR message execd writes to a script (§1.3), for `srcip`, with `command`. */
export function arMessage(
  command: string,
  srcip: unknown,
  extraArgs: readonly string[] = [],
  program = 'firewall-drop',
): string {
  const data = srcip === undefined ? {} : { srcip };
  return JSON.stringify({
    version: 1,
    origin: { name: 'node01', module: 'wazuh-execd' },
    command,
    parameters: {
      extra_args: extraArgs,
      alert: { rule: { id: '5710', level: 5 }, data },
      program: `active-response/bin/${program}`,
    },
  });
}

export interface ScriptRun {
  readonly code: number | null;
  /** Lines the script printed (the check_keys line for a stateful add). */
  readonly stdout: string[];
}

/**
 * Minimal execd: runs `<home>/active-response/bin/<name>` inside namespace `ns` with `line` on stdin;
 * when the script prints a line, answers `reply` (the same message with command continue|abort).
 */
export function runInstalled(opts: {
  ns: string;
  home: string;
  name: string;
  line: string;
  reply?: string;
}): Promise<ScriptRun> {
  const exe = path.join(opts.home, 'active-response', 'bin', opts.name);
  const child = spawn('ip', ['netns', 'exec', opts.ns, exe], {
    cwd: opts.home,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const out: string[] = [];
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buf += chunk;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const p of parts) {
      out.push(p);
      if (opts.reply !== undefined) {
        child.stdin.write(`${opts.reply}\n`);
      }
      child.stdin.end();
    }
  });
  child.stdin.on('error', () => undefined);
  child.stdin.write(`${opts.line}\n`);
  if (opts.reply === undefined) {
    child.stdin.end();
  }
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      resolve({ code, stdout: out });
    });
  });
}

/** A victim namespace with a TCP listener, and a temp home with the stock scripts installed. */
export interface VictimSetup {
  readonly home: string;
  readonly pair: NetnsPair;
  readonly listener: ChildProcess;
}

export async function setupVictim(homePrefix: string): Promise<VictimSetup> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), homePrefix));
  installStockScripts(home);
  const pair = createPair();
  return { home, pair, listener: await startListener(pair) };
}

/** Undoes {@link setupVictim}; each part may be missing when setup failed half-way. */
export function teardownVictim(v: {
  home: string;
  pair: NetnsPair | undefined;
  listener: ChildProcess | undefined;
}): void {
  v.listener?.kill();
  if (v.pair) {
    destroyPair(v.pair);
  }
  if (v.home !== '') {
    fs.rmSync(v.home, { recursive: true, force: true });
  }
}

/** The file's victim as {@link victimHooks} keeps it: filled in once `before` ran. */
export interface VictimSlot {
  home: string;
  pair: NetnsPair | undefined;
  listener: ChildProcess | undefined;
}

/**
 * Registers the file's `before` (setupVictim) and `after` (teardownVictim) hooks; tests read the
 * victim from the slot returned. Nothing is set up when `skip` says why namespaces cannot be used.
 */
export function victimHooks(homePrefix: string, skip: string | undefined): VictimSlot {
  const slot: VictimSlot = { home: '', pair: undefined, listener: undefined };
  before(async () => {
    if (skip === undefined) {
      Object.assign(slot, await setupVictim(homePrefix));
    }
  });
  after(() => {
    teardownVictim(slot);
  });
  return slot;
}

/** Removes everything any firewall-drop backend may have created in namespace `ns`. */
export function resetFirewall(ns: string): void {
  inNs(ns, ['nft', 'delete', 'table', 'inet', 'riposte'], { allowFail: true });
  for (const tool of ['iptables', 'ip6tables']) {
    inNs(ns, [tool, '-F', 'INPUT']);
    inNs(ns, [tool, '-F', 'FORWARD']);
  }
  inNs(ns, ['ipset', 'destroy'], { allowFail: true });
}
