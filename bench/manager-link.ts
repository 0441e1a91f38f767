/**
 * `riposte manager` + one enrolled `riposte agent` over the link, both real daemons in one scratch
 * network namespace (the manager on its loopback): N alerts from agent 001 POSTed to the manager's
 * HTTPS `POST /alerts` (requests of 500 NDJSON lines, sent by post-alerts-cli.js inside the
 * namespace) -> orders over the link -> the agent's firewall-drop -> every address in the nft set.
 * Baseline: one plain `nft -f` transaction of the same N elements.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchReport } from './bench-types.js';
import { loadNote, makeAgentHome, removeAgentHome } from './agent-home.js';
import { CLI, startDaemon } from './daemon-proc.js';
import { START_CONF, sshdAlert, threadCpu, threadCpuSince } from './public-paths.js';
import { msSince, SetWatcher } from './nft-watch.js';
import { benchAddress, ScratchNetns } from './scratch-netns.js';
import { errorMessage } from '../src/protocol/error-message.js';

const N = Number(process.env['RIPOSTE_BENCH_N'] ?? 10_000);
const PER_POST = 500;
const PORT = 1515;
const here = path.dirname(fileURLToPath(import.meta.url));

function inNs(ns: ScratchNetns, args: readonly string[]): Promise<string> {
  const [cmd, ...pre] = ns.prefix();
  return new Promise((resolve, reject) => {
    const p = spawn(cmd ?? 'ip', [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    p.on('exit', (code) => {
      if (code === 0) {
        resolve(out);
      } else {
        reject(new Error(`${args.join(' ')}: exit ${String(code)}: ${out}`));
      }
    });
  });
}

/**
 * Runs post-alerts-cli.js in `ns` and times from its first POST (its start-up left out) to the
 * commit that brought the agent's set to N, seen by the generation watcher.
 */
async function timedPosts(
  ns: ScratchNetns,
  mHome: string,
  aHome: string,
  bodiesFile: string,
): Promise<{ ms: number; postMs: number }> {
  const watch = await SetWatcher.start(ns);
  try {
    const out = await inNs(ns, [
      process.execPath,
      path.join(here, 'post-alerts-cli.js'),
      `https://127.0.0.1:${PORT}`,
      path.join(mHome, 'var', 'admin.token'),
      path.join(mHome, 'etc', 'pki', 'ca.pem'),
      bodiesFile,
    ]);
    const [posted, startNs] = out.trim().split(' ');
    if (startNs === undefined || !/^\d+$/.test(startNs)) {
      throw new Error(`post-alerts-cli: no start time in its output: ${out}`);
    }
    const seen = await watch
      .within((c) => c >= N, 120_000, `${N} addresses in the set`)
      .catch((err: unknown) => {
        throw new Error(`${errorMessage(err)}; agent log: ${problems(aHome)}`);
      });
    return { ms: msSince(BigInt(startNs), seen), postMs: Number(posted) };
  } finally {
    watch.stop();
  }
}

/** The agent log's warnings and errors (first few), to say why a run did not complete. */
function problems(home: string): string {
  const lines = fs
    .readFileSync(path.join(home, 'logs', 'riposte.log'), 'utf8')
    .split('\n')
    .filter((l) => /"level":(40|50)/.test(l));
  return `${lines.length} warning/error lines: ${lines.slice(0, 3).join(' | ')}`;
}

/** N alerts from agent 001, as NDJSON bodies of PER_POST lines. */
function alertBodies(): string[] {
  const lines = Array.from({ length: N }, (_, j) =>
    sshdAlert(benchAddress(j), j).replace('"id":"000","name":"bench"', '"id":"001","name":"bench-01"'),
  );
  const bodies: string[] = [];
  for (let i = 0; i < N; i += PER_POST) {
    bodies.push(lines.slice(i, i + PER_POST).join('\n'));
  }
  return bodies;
}

async function measure(
  ns: ScratchNetns,
  mHome: string,
  aHome: string,
): Promise<{ ms: number; postMs: number; cpu: string }> {
  const conf = path.join(mHome, 'ossec.conf');
  fs.writeFileSync(conf, START_CONF);
  const manager = await startDaemon(
    ns,
    ['manager', '-c', conf, '--home', mHome, '--listen', `127.0.0.1:${PORT}`, '--no-local-agent'],
    60_000,
    /CA fingerprint \(SHA-256\): \S+/,
  );
  try {
    const fp = /CA fingerprint \(SHA-256\): (\S+)/.exec(manager.output())?.[1] ?? '';
    await inNs(ns, [
      process.execPath,
      CLI,
      'agent',
      'enroll',
      '--manager',
      `127.0.0.1:${PORT}`,
      '--name',
      'bench-01',
      '--password-file',
      path.join(mHome, 'etc', 'authd.pass'),
      '--ca-fingerprint',
      fp,
      '--home',
      aHome,
    ]);
    const agent = await startDaemon(ns, ['agent', '--home', aHome], 60_000);
    try {
      const bodies = alertBodies();
      const bodiesFile = path.join(mHome, 'bodies.json');
      fs.writeFileSync(bodiesFile, JSON.stringify(bodies));
      const agentCpu0 = threadCpu(agent.pid);
      const managerCpu0 = threadCpu(manager.pid);
      const { ms, postMs } = await timedPosts(ns, mHome, aHome, bodiesFile);
      // CPU until all was in the set (what the loaded machine's wall time hides).
      const cpu = [
        threadCpuSince(agent.pid, agentCpu0, threadCpu(agent.pid)).replace('daemon', 'agent'),
        threadCpuSince(manager.pid, managerCpu0, threadCpu(manager.pid)).replace('daemon', 'manager'),
      ].join('; ');
      return { ms, postMs, cpu };
    } finally {
      await agent.stop();
    }
  } finally {
    await manager.stop();
  }
}

export const managerLink: BenchModule = {
  name: 'manager-link',
  run: async (): Promise<BenchReport[]> => {
    const ns = ScratchNetns.create('link');
    const mHome = makeAgentHome();
    const aHome = makeAgentHome();
    try {
      const limitMs = ns.plainNftTransaction(N, 0);
      ns.flush();
      const { ms, postMs, cpu } = await measure(ns, mHome, aHome);
      return [
        {
          name: `riposte manager + 1 agent over the link: ${N} alerts via POST /alerts -> all in the agent's nft set`,
          value: ms / 1000,
          unit: 's',
          baseline: limitMs / 1000,
          ratio: ms / limitMs,
          target: 2,
          lowerIsBetter: true,
          note: `path: manager HTTPS API (${Math.ceil(N / PER_POST)} POSTs of ${PER_POST}) -> match -> orders -> TLS link -> agent 001 -> firewall-drop -> nft; POSTs answered after ${(postMs / 1000).toFixed(2)} s; the last commit seen by a netlink generation watcher (bench/nft-watch.ts); ${cpu}; baseline = plain nft -f; ${loadNote()}`,
        },
      ];
    } finally {
      ns.destroy();
      removeAgentHome(mHome);
      removeAgentHome(aHome);
    }
  },
};
