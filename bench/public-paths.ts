/**
 * Firewall-drop bursts through the product's public entry points, each against the real daemon in a
 * scratch network namespace, timed until every address is in the kernel's nft set: the commit seen
 * by bench/nft-watch.ts's netlink generation watcher (within 2 ms of it). Until 2026-12-01 these rows
 * polled `nft -j list set` every 25 ms; each poll of 10,000 elements cost ~70-90 ms of CPU, taken
 * from the daemon on 2 CPUs during the burst's tail, and could see the last commit up to one poll
 * late. Baseline in the same run: one plain `nft -f` transaction adding the same number of
 * elements (the limit any path can reach).
 *
 *   execq-burst   : `riposte agent`, N Wazuh AR datagrams (firewall-drop600) on queue/alerts/execq.
 *   start-alerts  : `riposte start`, N alerts (rule 5712) POSTed to /alerts in requests of 500 NDJSON
 *                   lines over the local API socket.
 *   start-latency : `riposte start`, one alert at a time through POST /alerts -> its address in the
 *                   set; p50/p99 over the samples (paced, so it measures latency, not queueing).
 *                   The same watcher, listing the addresses each commit added, gives each sample's
 *                   commit. From 2026-11-30 12:00 to 2026-12-03 `nft monitor`'s element events did;
 *                   since 3a99328 each transaction re-creates the sets and their drop rules, after
 *                   which nft 1.0.6's monitor prints no element events ("unknown set"), and nearly
 *                   every sample fell back to polling `nft get element` after a 5 s wait.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { BenchModule, BenchReport } from './bench-types.js';
import {
  arMessage,
  loadNote,
  makeAgentHome,
  quantile,
  removeAgentHome,
  sleep,
  writeArConf,
} from './agent-home.js';
import { startDaemon, type Daemon } from './daemon-proc.js';
import { sendAll } from './execq-sender.js';
import { benchAddress, ScratchNetns } from './scratch-netns.js';
import { msSince, SetWatcher } from './nft-watch.js';

const N = Number(process.env['RIPOSTE_BENCH_N'] ?? 10_000);
const LATENCY_SAMPLES = 100;
const LATENCY_PACE_MS = 25;
const ALERTS_PER_POST = 500;
const WAIT_MS = 120_000;

/** An ossec.conf for `riposte start` and the manager bench: rule 5712 -> firewall-drop, 10 minutes, location local. */
export const START_CONF = `<ossec_config>
  <command>
    <name>firewall-drop</name>
    <executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed>
  </command>
  <active-response>
    <command>firewall-drop</command>
    <location>local</location>
    <rules_id>5712</rules_id>
    <timeout>600</timeout>
  </active-response>
</ossec_config>
`;

/** A Wazuh alerts.json alert of rule 5712 (sshd brute force) from `srcip`. */
export function sshdAlert(srcip: string, seq: number): string {
  return JSON.stringify({
    timestamp: '2026-11-30T05:00:00.000+0000',
    rule: {
      level: 10,
      description: 'sshd: brute force trying to get access to the system.',
      id: '5712',
      groups: ['syslog', 'sshd', 'authentication_failures'],
    },
    agent: { id: '000', name: 'bench' },
    manager: { name: 'bench' },
    id: `1700000000.${seq}`,
    full_log: `sshd[1234]: Failed password for invalid user admin from ${srcip} port 50256 ssh2`,
    decoder: { parent: 'sshd', name: 'sshd' },
    data: { srcip, srcuser: 'admin' },
    location: '/var/log/auth.log',
  });
}

/** POSTs `body` to the local API of the daemon in `home` (unix socket + bearer token). */
export function postAlerts(home: string, body: string): Promise<void> {
  const token = fs.readFileSync(path.join(home, 'var', 'api.token'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: path.join(home, 'var', 'api.sock'),
        path: '/alerts',
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) {
            reject(new Error(`POST /alerts: HTTP ${res.statusCode ?? 0}: ${text}`));
          } else {
            resolve();
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function limitRow(ns: ScratchNetns, n: number): BenchReport {
  const ms = ns.plainNftTransaction(n, 0);
  ns.flush();
  return {
    name: `limit: one plain nft -f transaction, ${n} elements`,
    value: ms,
    unit: 'ms',
    lowerIsBetter: true,
    note: 'path: nft alone (no product), the floor for every row below',
  };
}

interface Burst {
  readonly ms: number;
  readonly acceptedMs: number;
}

/**
 * Sends with `send`, then waits until N addresses (from offset 0) are in the set: the time is the
 * commit that brought the set to N, seen by the generation watcher (no list polls during the burst).
 */
async function burst(ns: ScratchNetns, n: number, send: () => Promise<void>): Promise<Burst> {
  const watch = await SetWatcher.start(ns);
  try {
    const t0 = process.hrtime.bigint();
    await send();
    const acceptedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const ms = msSince(t0, await watch.within((c) => c >= n, WAIT_MS, `${n} addresses in the set`));
    const inSet = ns.blockedCount();
    if (inSet !== n) {
      throw new Error(`expected ${n} addresses in the set, found ${inSet}`);
    }
    return { ms, acceptedMs };
  } finally {
    watch.stop();
  }
}

function row(name: string, b: Burst, limit: { ms: number; target: number }, note: string): BenchReport {
  return {
    name,
    value: b.ms / 1000,
    unit: 's',
    baseline: limit.ms / 1000,
    ratio: b.ms / limit.ms,
    target: limit.target,
    lowerIsBetter: true,
    note: `${note}; all accepted after ${(b.acceptedMs / 1000).toFixed(2)} s; the last commit seen by a netlink generation watcher (bench/nft-watch.ts); baseline = plain nft -f; ${loadNote()}`,
  };
}

async function withNs<T>(tag: string, fn: (ns: ScratchNetns) => Promise<T>): Promise<T> {
  const ns = ScratchNetns.create(tag);
  try {
    return await fn(ns);
  } finally {
    ns.destroy();
  }
}

async function withDaemon<T>(d: Daemon, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await d.stop();
  }
}

export const execqBurst: BenchModule = {
  name: 'execq-burst',
  run: () =>
    withNs('execq', async (ns) => {
      const limit = limitRow(ns, N);
      const home = makeAgentHome();
      try {
        writeArConf(home, ['firewall-drop600 - firewall-drop - 600']);
        const d = await startDaemon(ns, ['agent', '--home', home], 60_000);
        const messages = Array.from({ length: N }, (_, i) =>
          arMessage('firewall-drop600', benchAddress(i), i),
        );
        const cpu0 = daemonCpu(d.pid);
        const sched0 = mainSchedstat(d.pid);
        const b = await withDaemon(d, async () => {
          let senderCpu = process.cpuUsage();
          const r = await burst(ns, N, async () => {
            await sendAll(path.join(home, 'queue', 'alerts', 'execq'), messages);
            senderCpu = process.cpuUsage(senderCpu);
          });
          const sender = `the sender (this process) ${((senderCpu.user + senderCpu.system) / 1e6).toFixed(2)} s of CPU`;
          return {
            ...r,
            cpu: `${cpuSince(cpu0, daemonCpu(d.pid))}; ${schedSince(sched0, mainSchedstat(d.pid), r.ms)}; ${sender}`,
          };
        });
        return [
          limit,
          row(
            `riposte agent: ${N} firewall-drop datagrams on execq -> all in the nft set`,
            b,
            { ms: limit.value, target: 1 },
            `path: execq socket -> execd -> firewall-drop -> nft; ${b.cpu}`,
          ),
        ];
      } finally {
        removeAgentHome(home);
      }
    }),
};

/** CPU seconds used so far by the daemon's main thread and by the whole process (Linux /proc). */
interface DaemonCpu {
  readonly main: number;
  readonly all: number;
}

function ticksOf(statFile: string): number {
  try {
    // Fields after the ")" of comm: utime and stime are the 12th and 13th.
    const f = fs.readFileSync(statFile, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(f[11] ?? NaN) + Number(f[12] ?? NaN);
  } catch {
    return NaN;
  }
}

function daemonCpu(pid: number): DaemonCpu {
  const hz = 100; // USER_HZ on Linux
  return { main: ticksOf(`/proc/${pid}/task/${pid}/stat`) / hz, all: ticksOf(`/proc/${pid}/stat`) / hz };
}

/**
 * The daemon's CPU time from before the burst until all was in the set: what the loaded machine's
 * wall time hides (on 2 busy CPUs the daemon waits for a CPU; this counts only its own work).
 */
function cpuSince(a: DaemonCpu, b: DaemonCpu): string {
  return `daemon CPU during the burst: main thread ${(b.main - a.main).toFixed(2)} s, all threads ${(b.all - a.all).toFixed(2)} s`;
}

/** The main thread's scheduler times so far, in seconds (Linux /proc schedstat, ns resolution). */
interface Schedstat {
  /** On a CPU. */
  readonly run: number;
  /** Runnable, waiting for a CPU (the machine's other work). */
  readonly wait: number;
}

function mainSchedstat(pid: number): Schedstat {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
    return { run: Number(run) / 1e9, wait: Number(wait) / 1e9 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

/**
 * Where the main thread's wall time of the burst went: on a CPU, runnable but waiting for one (the
 * daemon's other threads, the sender, nft, other work on the machine), and the rest asleep (its
 * event loop idle, or blocked in a system call such as fsync).
 */
function schedSince(a: Schedstat, b: Schedstat, wallMs: number): string {
  const run = b.run - a.run;
  const wait = b.wait - a.wait;
  return `main thread's wall time: on a CPU ${run.toFixed(2)} s, waiting for a CPU ${wait.toFixed(2)} s, asleep ${(wallMs / 1000 - run - wait).toFixed(2)} s`;
}

/** CPU seconds so far of each thread of the daemon, by thread id (Linux /proc). */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    out.set(tid, ticksOf(`/proc/${pid}/task/${tid}/stat`) / 100);
  }
  return out;
}

/**
 * The daemon's CPU during the burst: its main thread (manager: API, ingest, durable orders), its
 * busiest other thread (agent 000's thread under `riposte start`), and all threads. On an idle
 * 2-core machine the wall time cannot go below the larger of the first two.
 */
export function threadCpuSince(pid: number, a: Map<string, number>, b: Map<string, number>): string {
  const used = (tid: string): number => (b.get(tid) ?? 0) - (a.get(tid) ?? 0);
  let busiest = 0;
  let all = 0;
  for (const tid of b.keys()) {
    all += used(tid);
    if (tid !== String(pid)) {
      busiest = Math.max(busiest, used(tid));
    }
  }
  return `daemon CPU during the burst: main thread ${used(String(pid)).toFixed(2)} s, busiest other thread ${busiest.toFixed(2)} s, all threads ${all.toFixed(2)} s`;
}

async function startStart(ns: ScratchNetns, home: string): Promise<Daemon> {
  const conf = path.join(home, 'etc', 'ossec.conf');
  fs.mkdirSync(path.dirname(conf), { recursive: true });
  fs.writeFileSync(conf, START_CONF);
  return startDaemon(ns, ['start', '-c', conf, '--home', home], 60_000);
}

export const startAlerts: BenchModule = {
  name: 'start-alerts',
  run: () =>
    withNs('start', async (ns) => {
      const limit = limitRow(ns, N);
      const home = makeAgentHome();
      try {
        const d = await startStart(ns, home);
        const lines = Array.from({ length: N }, (_, i) => sshdAlert(benchAddress(i), i));
        const bodies: string[] = [];
        for (let i = 0; i < lines.length; i += ALERTS_PER_POST) {
          bodies.push(lines.slice(i, i + ALERTS_PER_POST).join('\n'));
        }
        const threads0 = threadCpu(d.pid);
        const b = await withDaemon(d, async () => {
          const r = await burst(ns, N, async () => {
            for (const body of bodies) {
              await postAlerts(home, body);
            }
          });
          return { ...r, cpu: threadCpuSince(d.pid, threads0, threadCpu(d.pid)) };
        });
        return [
          limit,
          row(
            `riposte start: ${N} alerts via POST /alerts -> all in the nft set`,
            b,
            { ms: limit.value, target: 1.5 },
            `path: local API (${bodies.length} POSTs of ${ALERTS_PER_POST} NDJSON lines) -> match -> orders -> agent 000 -> firewall-drop -> nft; ${b.cpu}`,
          ),
        ];
      } finally {
        removeAgentHome(home);
      }
    }),
};

/**
 * When `ip` landed in the set (process.hrtime.bigint ns): the commit that added it, seen by the
 * watcher; with RIPOSTE_BENCH_POLL=1 (no watcher) by polling `nft get element` (the older measure:
 * each poll is an `ip netns exec nft` run of 3-8 ms that competes with the daemon for the CPU).
 */
async function landed(ns: ScratchNetns, watch: SetWatcher | undefined, ip: string): Promise<bigint> {
  if (watch !== undefined) {
    return (await watch.present(ip, 30_000)).atNs;
  }
  await ns.waitForAddress(ip, 30_000); // resolves right after the poll that found it
  return process.hrtime.bigint();
}

export const startLatency: BenchModule = {
  name: 'start-latency',
  run: () =>
    withNs('latency', async (ns) => {
      const home = makeAgentHome();
      const poll = process.env['RIPOSTE_BENCH_POLL'] === '1';
      try {
        const d = await startStart(ns, home);
        const watch = poll ? undefined : await SetWatcher.start(ns, 'blocked4', true);
        const samples: number[] = [];
        /** POST sent -> answered (the manager's part: ingest, durable order). */
        const answeredMs: number[] = [];
        await withDaemon(d, async () => {
          for (let i = 0; i < LATENCY_SAMPLES + 5; i++) {
            const ip = benchAddress(50_000 + i);
            const t0 = process.hrtime.bigint();
            await postAlerts(home, sshdAlert(ip, i));
            const answered = Number(process.hrtime.bigint() - t0) / 1e6;
            const at = await landed(ns, watch, ip);
            // Warm-up: the daemon's first transaction creates the table, its first runs are cold.
            if (i >= 5) {
              samples.push(Number(at - t0) / 1e6);
              answeredMs.push(answered);
            }
            await sleep(LATENCY_PACE_MS);
          }
        }).finally(() => watch?.stop());
        const limit1 = ns.plainNftTransaction(1, 90_000);
        const p99 = quantile(samples, 0.99);
        const seenBy = poll
          ? 'seen by polling nft get element (RIPOSTE_BENCH_POLL=1; ~1 nft run per 3-8 ms, included)'
          : 'the commit that added it seen by a netlink generation watcher (bench/nft-watch.ts, a 2 ms GETGEN poll + a set dump per commit)';
        return [
          {
            name: 'riposte start: one alert via POST /alerts -> its address in the nft set, p99',
            value: p99,
            unit: 'ms',
            baseline: limit1,
            ratio: p99 / limit1,
            target: 20,
            lowerIsBetter: true,
            note: `p50 ${quantile(samples, 0.5).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms over ${samples.length} alerts (POST answered after p50 ${quantile(answeredMs, 0.5).toFixed(1)} / p99 ${quantile(answeredMs, 0.99).toFixed(1)} ms), one every ${LATENCY_PACE_MS} ms after the previous landed; ${seenBy}; baseline = one plain nft -f of 1 element (ip netns exec + nft); path: local API -> match -> agent 000 -> nft; ${loadNote()}`,
          },
        ];
      } finally {
        removeAgentHome(home);
      }
    }),
};
