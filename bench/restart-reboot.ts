/**
 * Restarting `riposte agent` (the real daemon, in a scratch network namespace) on a store holding
 * ROWS active firewall-drop responses with far deadlines. The store is filled beforehand through the
 * store's own `putActive` (set-up, not measured).
 *
 *   reboot-reapply: the stored boot id differs from the one in `--boot-id-file` (a reboot emptied the
 *                   kernel's sets): spawn -> every address back in the nft set. Baseline: one plain
 *                   `nft -f` transaction of the same ROWS elements.
 *   restart-rearm : same boot: spawn -> "running" (every deadline re-armed, nothing re-run), and the
 *                   daemon's resident memory once running. Baseline: the same daemon on an empty store.
 * ROWS = 100,000; `RIPOSTE_BENCH_STRETCH=1` adds the 1,000,000-row restart (stretch target).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ActiveResponse } from '../src/protocol/execution-records.js';
import { openSqliteAgentStore } from '../src/store/sqlite-agent-store.js';
import type { BenchModule, BenchReport } from './bench-types.js';
import { arMessage, loadNote, makeAgentHome, removeAgentHome, writeArConf } from './agent-home.js';
import { residentMiB } from './agent-daemon.js';
import { startDaemon } from './daemon-proc.js';
import { benchAddress, ScratchNetns } from './scratch-netns.js';
import { msSince, SetWatcher } from './nft-watch.js';

/** Rows of the stores; `RIPOSTE_BENCH_ROWS` changes it for quick runs. */
const ROWS = Number(process.env['RIPOSTE_BENCH_ROWS'] ?? 100_000);
const STRETCH_ROWS = 1_000_000;
const AHEAD_MS = 30 * 24 * 3600 * 1000;
const AR_NAME = 'firewall-drop600';
const BOOT_ID_SETTING = 'boot_id';

function activeRow(i: number, now: number, expiresAt = now + AHEAD_MS): ActiveResponse {
  const srcip = benchAddress(i);
  const add = arMessage(AR_NAME, srcip, i);
  return {
    key: `firewall-drop-${srcip}`,
    arName: AR_NAME,
    program: 'active-response/bin/firewall-drop',
    deleteMessage: add.replace(`"command":"${AR_NAME}"`, '"command":"delete"'),
    addMessage: add.replace(`"command":"${AR_NAME}"`, '"command":"add"'),
    agentId: '000',
    createdAt: now,
    addedAt: now,
    timeoutSec: Math.max(1, Math.round((expiresAt - now) / 1000)),
    expiresAt,
    repeatCount: 1,
    alertId: `1700000000.${i}`,
    ruleId: 5712,
    srcip,
    user: undefined,
  };
}

/** CPU seconds used so far by a process's main thread and by all its threads (Linux /proc). */
interface Cpu {
  readonly main: number;
  readonly all: number;
}

function cpuOf(pid: number): Cpu {
  const ticks = (file: string): number => {
    try {
      // Fields after the ")" of comm: utime and stime are the 12th and 13th; USER_HZ is 100.
      const f = fs.readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(f[11] ?? NaN) + Number(f[12] ?? NaN)) / 100;
    } catch {
      return NaN;
    }
  };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}

/** The daemon's CPU between two readings: what a loaded machine's wall time hides. */
function cpuNote(what: string, a: Cpu, b: Cpu): string {
  return `daemon CPU ${what}: main thread ${(b.main - a.main).toFixed(2)} s, all threads ${(b.all - a.all).toFixed(2)} s`;
}

/** Seeded stores by row count, kept for the run: both benchmarks start from the same 100k store. */
const seeded = new Map<number, { db: string; fillMs: number }>();

function seededDb(rows: number): { db: string; fillMs: number } {
  const cached = seeded.get(rows);
  if (cached !== undefined && fs.existsSync(cached.db)) {
    return cached;
  }
  const dir = makeAgentHome();
  const db = path.join(dir, 'var', 'agent.db');
  const store = openSqliteAgentStore(db);
  const t0 = performance.now();
  const now = Date.now();
  // One transaction per 10,000 rows: set-up only, so it need not be measured row by row.
  for (let from = 0; from < rows; from += 10_000) {
    store.transaction(() => {
      for (let i = from; i < Math.min(rows, from + 10_000); i++) {
        store.putActive(activeRow(i, now));
      }
    });
  }
  const fillMs = performance.now() - t0;
  store.close();
  const entry = { db, fillMs };
  seeded.set(rows, entry);
  return entry;
}

process.on('exit', () => {
  for (const { db } of seeded.values()) {
    removeAgentHome(path.dirname(path.dirname(db)));
  }
});

/** A home whose store holds `rows` active responses and boot id `bootId`; returns it and the fill time. */
function seededHome(rows: number, bootId: string): { home: string; fillMs: number } {
  const home = makeAgentHome();
  writeArConf(home, [`${AR_NAME} - firewall-drop - 600`]);
  const { db, fillMs } = seededDb(rows);
  for (const suffix of ['', '-wal']) {
    if (fs.existsSync(db + suffix)) {
      fs.copyFileSync(db + suffix, path.join(home, 'var', `agent.db${suffix}`));
    }
  }
  const store = openSqliteAgentStore(path.join(home, 'var', 'agent.db'));
  store.setSetting(BOOT_ID_SETTING, bootId);
  store.close();
  return { home, fillMs };
}

function bootIdFile(home: string, id: string): string {
  const file = path.join(home, 'boot_id');
  fs.writeFileSync(file, `${id}\n`);
  return file;
}

async function withNs<T>(fn: (ns: ScratchNetns) => Promise<T>): Promise<T> {
  const ns = ScratchNetns.create('restart');
  try {
    return await fn(ns);
  } finally {
    ns.destroy();
  }
}

export const rebootReapply: BenchModule = {
  name: 'reboot-reapply',
  run: () =>
    withNs(async (ns) => {
      const limitMs = ns.plainNftTransaction(ROWS, 0);
      ns.flush();
      const { home, fillMs } = seededHome(ROWS, 'before-the-reboot');
      const watch = await SetWatcher.start(ns);
      try {
        const t0 = process.hrtime.bigint();
        const d = await startDaemon(
          ns,
          ['agent', '--home', home, '--boot-id-file', bootIdFile(home, 'after-the-reboot')],
          120_000,
        );
        let ms: number;
        let cpu: string;
        try {
          ms = msSince(t0, await watch.within((n) => n >= ROWS, 120_000, 'reboot-reapply'));
          cpu = cpuNote('from spawn until all were in the set', { main: 0, all: 0 }, cpuOf(d.pid));
        } finally {
          await d.stop();
        }
        const inSet = ns.blockedCount();
        if (inSet !== ROWS) {
          throw new Error(`reboot-reapply: ${inSet} addresses in the set, expected ${ROWS}`);
        }
        return [
          {
            name: `riposte agent: ${ROWS} active, reboot (boot id changed) -> all re-applied in the nft set`,
            value: ms / 1000,
            unit: 's',
            baseline: limitMs / 1000,
            ratio: ms / limitMs,
            target: 1,
            lowerIsBetter: true,
            note: `spawn -> all in the set (the commit seen by a netlink generation watcher, bench/nft-watch.ts) ("running" after ${(d.startMs / 1000).toFixed(2)} s); path: daemon start -> restore -> firewall-drop -> nft; baseline = plain nft -f of ${ROWS}; store filled in ${(fillMs / 1000).toFixed(1)} s; ${cpu}; ${loadNote()}`,
          },
        ];
      } finally {
        watch.stop();
        removeAgentHome(home);
      }
    }),
};

interface Start {
  readonly ms: number;
  readonly rss: number;
}

async function startOnce(ns: ScratchNetns, home: string, bootId: string): Promise<Start> {
  const d = await startDaemon(
    ns,
    ['agent', '--home', home, '--boot-id-file', bootIdFile(home, bootId)],
    180_000,
  );
  try {
    return { ms: d.startMs, rss: residentMiB(d.pid).rss };
  } finally {
    await d.stop();
  }
}

async function restartRows(
  ns: ScratchNetns,
  rows: number,
  targetMs: number,
  targetMiB: number,
): Promise<BenchReport[]> {
  const bootId = 'same-boot';
  const full = seededHome(rows, bootId);
  const empty = seededHome(0, bootId);
  try {
    const base = await startOnce(ns, empty.home, bootId);
    const s = await startOnce(ns, full.home, bootId);
    const log = fs.readFileSync(path.join(full.home, 'logs', 'riposte.log'), 'utf8');
    if (!log.includes(`Restored active responses: ${rows} armed`)) {
      throw new Error(`restart-rearm: the daemon did not report ${rows} armed`);
    }
    return [
      {
        name: `riposte agent: ${rows} active, restart -> all re-armed ("running")`,
        value: s.ms / 1000,
        unit: 's',
        baseline: base.ms / 1000,
        ratio: s.ms / base.ms,
        target: targetMs / 1000,
        lowerIsBetter: true,
        note: `spawn -> running line; baseline = same daemon, empty store; store filled in ${(full.fillMs / 1000).toFixed(1)} s; ${loadNote()}`,
      },
      {
        name: `riposte agent: ${rows} active, resident memory once running`,
        value: s.rss,
        unit: 'MiB',
        baseline: base.rss,
        ratio: s.rss / base.rss,
        target: targetMiB,
        lowerIsBetter: true,
        note: 'VmRSS; baseline = empty store',
      },
    ];
  } finally {
    removeAgentHome(full.home);
    removeAgentHome(empty.home);
  }
}

export const restartRearm: BenchModule = {
  name: 'restart-rearm',
  run: () =>
    withNs(async (ns) => {
      const rows = await restartRows(ns, ROWS, 1000, 200);
      if (process.env['RIPOSTE_BENCH_STRETCH'] === '1') {
        rows.push(...(await restartRows(ns, STRETCH_ROWS, 5000, 600)));
      }
      return rows;
    }),
};

/** Reverts due in the same second: `RIPOSTE_BENCH_N` of them (default 10,000). */
const DUE_N = Number(process.env['RIPOSTE_BENCH_N'] ?? 10_000);
/** How far ahead of the store's filling the reverts fall due (leaves the daemon time to start). */
const DUE_AHEAD_MS = 12_000;

/**
 * due-reverts: `riposte agent` restarted (same boot) on a store of DUE_N active firewall-drop
 * responses whose deadlines all fall in the same second, their addresses in the nft set: from
 * that second -> the set empty (the commit seen by bench/nft-watch.ts; until 2026-11-30 14:30 `nft
 * list set` was polled every 25 ms, ~a CPU's worth of polls competing with the daemon). Baseline:
 * one plain nft -f adding the same elements.
 */
export const dueReverts: BenchModule = {
  name: 'due-reverts',
  run: () =>
    withNs(async (ns) => {
      const limitMs = ns.plainNftTransaction(DUE_N, 0);
      const home = makeAgentHome();
      let watch: SetWatcher | undefined;
      try {
        writeArConf(home, [`${AR_NAME} - firewall-drop - 600`]);
        const store = openSqliteAgentStore(path.join(home, 'var', 'agent.db'));
        const now = Date.now();
        const dueAt = now + DUE_AHEAD_MS;
        store.transaction(() => {
          for (let i = 0; i < DUE_N; i++) {
            store.putActive(activeRow(i, now, dueAt + (i % 1000) / 10));
          }
        });
        store.setSetting(BOOT_ID_SETTING, 'same-boot');
        store.close();
        watch = await SetWatcher.start(ns);
        const d = await startDaemon(
          ns,
          ['agent', '--home', home, '--boot-id-file', bootIdFile(home, 'same-boot')],
          60_000,
        );
        let ms: number;
        let cpu: string;
        try {
          if (Date.now() >= dueAt) {
            throw new Error('due-reverts: the daemon started after the deadlines (raise DUE_AHEAD_MS)');
          }
          if (ns.blockedCount() !== DUE_N) {
            throw new Error(
              `due-reverts: ${ns.blockedCount()} in the set before the deadline, expected ${DUE_N}`,
            );
          }
          // The deadline on the watcher's clock (CLOCK_MONOTONIC), from the wall clock the store uses.
          const dueNs = process.hrtime.bigint() + BigInt(Math.round((dueAt - Date.now()) * 1e6));
          const cpu0 = cpuOf(d.pid);
          ms = msSince(dueNs, await watch.within((n) => n === 0, 60_000, 'due-reverts: set empty'));
          cpu = cpuNote('from the deadline until the set was empty', cpu0, cpuOf(d.pid));
        } finally {
          await d.stop();
        }
        if (ns.blockedCount() !== 0) {
          throw new Error(`due-reverts: ${ns.blockedCount()} still in the set once seen empty`);
        }
        const log = fs.readFileSync(path.join(home, 'logs', 'riposte.log'), 'utf8');
        const unblocked = log.split('\n').filter((l) => l.includes('firewall-drop-198.')).length;
        return [
          {
            name: `riposte agent: ${DUE_N} reverts due in the same second -> all removed from the nft set`,
            value: ms / 1000,
            unit: 's',
            baseline: limitMs / 1000,
            ratio: ms / limitMs,
            target: 1,
            lowerIsBetter: true,
            note: `deadline -> set empty (the commit seen by a netlink generation watcher, bench/nft-watch.ts); path: revert scheduler -> one batch -> firewall-drop -> nft; ${unblocked} log lines name a reverted key; baseline = plain nft -f adding ${DUE_N}; ${cpu}; ${loadNote()}`,
          },
        ];
      } finally {
        watch?.stop();
        removeAgentHome(home);
      }
    }),
};
