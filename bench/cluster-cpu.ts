/**
 * CPU accounting for the three-node benchmark (bench/cluster-nodes.ts): how many CPU-seconds each
 * group of processes (the nodes, the simulated agents' workers, PostgreSQL) spent in a phase, read
 * from /proc/PID/stat (utime + stime, plus cutime + cstime of children already reaped). On a
 * 2-core machine the three groups share the CPU; a phase whose workers take a large part of it
 * measures the simulator as much as the product, and the row's note says so.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ: clock ticks per second in /proc/PID/stat (100 on every common build). */
const TICKS = 100;

interface Stat {
  readonly ppid: number;
  /** Own utime + stime and reaped children's cutime + cstime, ticks. */
  readonly ticks: number;
  /** The system (kernel) part of `ticks`: stime + cstime. */
  readonly sys: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number): number => Number(f[i - 3] ?? 0);
    return { ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17), sys: n(15) + n(17) };
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** The postmaster listening on `port` (its command line holds `-p PORT`), or undefined. */
export function postmasterOf(port: number): number | undefined {
  for (const pid of pids()) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('-p');
      if (argv[0]?.endsWith('postgres') === true && i >= 0 && argv[i + 1] === String(port)) {
        return pid;
      }
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * CPU-seconds of `pid` and (when `withChildren`) its live children, now: all, and in the kernel;
 * `gone` when `pid` itself is no longer there (a node the failover phase killed).
 */
function cpuOf(
  pid: number,
  withChildren: boolean,
  all: readonly number[],
): { cpu: number; sys: number; gone: boolean } {
  const own = stat(pid);
  let ticks = own?.ticks ?? 0;
  let sys = own?.sys ?? 0;
  if (withChildren) {
    for (const p of all) {
      const s = stat(p);
      if (s?.ppid === pid) {
        ticks += s.ticks;
        sys += s.sys;
      }
    }
  }
  return { cpu: ticks / TICKS, sys: sys / TICKS, gone: own === undefined };
}

export interface CpuGroups {
  readonly nodes: readonly (number | undefined)[];
  readonly workers: readonly (number | undefined)[];
  readonly postmaster: number | undefined;
}

export interface CpuSample {
  readonly at: number;
  readonly nodes: number[];
  /** The nodes' system time, each; undefined for a node no longer there. */
  readonly nodeSys: (number | undefined)[];
  readonly workers: number;
  readonly postgres: number;
  /** The kernel's part (system time) of the nodes', the workers' and PostgreSQL's CPU-seconds. */
  readonly sys: { readonly nodes: number; readonly workers: number; readonly postgres: number };
}

export function sampleCpu(g: CpuGroups): CpuSample {
  const all = pids();
  const one = (pid: number | undefined): { cpu: number; sys: number; gone: boolean } =>
    pid === undefined ? { cpu: 0, sys: 0, gone: false } : cpuOf(pid, false, all);
  const nodes = g.nodes.map(one);
  const workers = g.workers.map(one);
  const postgres =
    g.postmaster === undefined ? { cpu: 0, sys: 0, gone: false } : cpuOf(g.postmaster, true, all);
  const sum = (xs: readonly { cpu: number; sys: number }[], k: 'cpu' | 'sys'): number =>
    xs.reduce((s, x) => s + x[k], 0);
  return {
    at: Date.now(),
    nodes: nodes.map((x) => x.cpu),
    nodeSys: nodes.map((x) => (x.gone ? undefined : x.sys)),
    workers: sum(workers, 'cpu'),
    postgres: postgres.cpu,
    sys: { nodes: sum(nodes, 'sys'), workers: sum(workers, 'sys'), postgres: postgres.sys },
  };
}

/**
 * "CPU s: nodes a+b+c, agents' workers w, PostgreSQL p, of 2 cores x s wall (workers z%)", then
 * the kernel's part of each group (system time: TLS writes and reads on loopback land there). A
 * node gone by `b` (killed) shows as "gone" and counts for nothing: its last figures cannot be read.
 */
export function describeCpu(a: CpuSample, b: CpuSample, cores: number): string {
  const gone = (i: number): boolean => b.nodeSys[i] === undefined && a.nodeSys[i] !== undefined;
  const nodes = b.nodes.map((x, i) => (gone(i) ? 0 : Math.max(0, x - (a.nodes[i] ?? 0))));
  const nodesSys = b.nodeSys.reduce<number>(
    (sum, x, i) => sum + (gone(i) ? 0 : (x ?? 0) - (a.nodeSys[i] ?? 0)),
    0,
  );
  const workers = b.workers - a.workers;
  const postgres = Math.max(0, b.postgres - a.postgres);
  const wall = (b.at - a.at) / 1000;
  const total = nodes.reduce((s, x) => s + x, 0) + workers + postgres;
  const pct = (x: number): string => `${Math.round((100 * x) / Math.max(total, 0.01))}%`;
  return (
    `CPU s in ${wall.toFixed(1)} s wall (${cores} cores): nodes ${nodes.map((x, i) => (gone(i) ? 'gone' : x.toFixed(1))).join('+')}, ` +
    `agents' workers ${workers.toFixed(1)} (${pct(workers)}), PostgreSQL ${postgres.toFixed(1)} (${pct(postgres)}); ` +
    `of which system time: nodes ${nodesSys.toFixed(1)}, workers ${(b.sys.workers - a.sys.workers).toFixed(1)}, ` +
    `PostgreSQL ${Math.max(0, b.sys.postgres - a.sys.postgres).toFixed(1)}`
  );
}
