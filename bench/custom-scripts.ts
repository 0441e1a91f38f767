/**
 * Custom (spawned) scripts through `riposte agent`'s execq socket, the real daemon in a scratch
 * network namespace. The script is KEYED (sh, no forks): check_keys with its srcip, reads the
 * continue/abort reply, then writes `stamps/<srcip>` so the bench sees each execution end.
 *
 *   custom-adds  : stateful adds/s for a burst of ADDS distinct srcips, while one CPU burner runs (the
 *                  "busy machine"). Baseline in the same run, same burner: the bench's own sequential
 *                  spawn-and-wait loop doing the same exchange, without store or bookkeeping.
 *   custom-loop  : the daemon's main event-loop delay p99 during a burst of LOOP_SCRIPTS scripts (the
 *                  daemon logs it at stop: perf_hooks.monitorEventLoopDelay since start-up ended).
 *                  Baseline: the same burst with RIPOSTE_SPAWN_WORKERS=0 (spawning on the main thread).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchModule } from './bench-types.js';
import {
  arMessage,
  installScript,
  loadNote,
  makeAgentHome,
  removeAgentHome,
  sleep,
  writeArConf,
} from './agent-home.js';
import { startDaemon } from './daemon-proc.js';
import { sendAll } from './execq-sender.js';
import { benchAddress, ScratchNetns } from './scratch-netns.js';

const ADDS = 500;
const LOOP_SCRIPTS = 1000;
const AR_NAME = 'keyed600';

const KEYED_STAMP = `#!/bin/sh
read -r line
ip=\${line#*\\"srcip\\":\\"}
ip=\${ip%%\\"*}
case "$ip" in ''|*[!0-9.]*) exit 1 ;; esac
printf '{"version":1,"origin":{"name":"keyed","module":"active-response"},"command":"check_keys","parameters":{"keys":["%s"]}}\\n' "$ip"
read -r reply
: > "stamps/$ip"
exit 0
`;

function keyedHome(): string {
  const home = makeAgentHome();
  installScript(home, 'keyed', KEYED_STAMP);
  fs.mkdirSync(path.join(home, 'stamps'));
  writeArConf(home, [`${AR_NAME} - keyed - 600`]);
  return home;
}

async function waitForStamps(home: string, n: number, ms: number): Promise<void> {
  const dir = path.join(home, 'stamps');
  const deadline = performance.now() + ms;
  while (fs.readdirSync(dir).length < n) {
    if (performance.now() > deadline) {
      throw new Error(`custom scripts: ${fs.readdirSync(dir).length}/${n} done after ${ms} ms`);
    }
    await sleep(10);
  }
}

/** Runs the daemon on a fresh home, sends `n` adds, waits for every stamp; returns ms and the log. */
async function daemonBurst(
  ns: ScratchNetns,
  n: number,
  env: Record<string, string>,
): Promise<{ ms: number; log: string }> {
  const home = keyedHome();
  try {
    const old = { ...process.env };
    Object.assign(process.env, env);
    const d = await startDaemon(ns, ['agent', '--home', home], 60_000).finally(() => {
      process.env = old;
    });
    const messages = Array.from({ length: n }, (_, i) => arMessage(AR_NAME, benchAddress(i), i));
    let ms: number;
    try {
      const t0 = performance.now();
      await sendAll(path.join(home, 'queue', 'alerts', 'execq'), messages);
      await waitForStamps(home, n, 300_000);
      ms = performance.now() - t0;
    } finally {
      await d.stop();
    }
    return { ms, log: fs.readFileSync(path.join(home, 'logs', 'riposte.log'), 'utf8') };
  } finally {
    removeAgentHome(home);
  }
}

/** The bench's own spawn-and-wait loop: same script, same exchange, one at a time. */
async function spawnLoop(n: number): Promise<number> {
  const home = keyedHome();
  try {
    const file = path.join(home, 'active-response', 'bin', 'keyed');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const msg = arMessage(AR_NAME, benchAddress(100_000 + i), i);
      await new Promise<void>((resolve, reject) => {
        const child = spawn(file, [], { cwd: home, stdio: ['pipe', 'pipe', 'ignore'] });
        child.stdout.once('data', () => {
          child.stdin.end(`${msg.replace(`"command":"${AR_NAME}"`, '"command":"continue"')}\n`);
        });
        child.stdin.write(`${msg}\n`);
        child.on('error', reject);
        child.on('exit', () => {
          resolve();
        });
      });
    }
    return performance.now() - t0;
  } finally {
    removeAgentHome(home);
  }
}

/**
 * One busy-looping process (the "busy machine"); stopped by the caller. It also ends by itself when
 * this process is gone (its parent changes), so a bench killed by a signal or a crash leaves no
 * burner behind.
 */
function burner(): ChildProcess {
  const loop = `const p = process.ppid; for (let i = 0; ; i++) { if (i % 1e6 === 0 && process.ppid !== p) process.exit(0); }`;
  const child = spawn(process.execPath, ['-e', loop], { stdio: 'ignore' });
  const stop = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', stop);
  child.once('exit', () => process.removeListener('exit', stop));
  return child;
}

async function withNs<T>(fn: (ns: ScratchNetns) => Promise<T>): Promise<T> {
  const ns = ScratchNetns.create('custom');
  try {
    return await fn(ns);
  } finally {
    ns.destroy();
  }
}

export const customAdds: BenchModule = {
  name: 'custom-adds',
  run: () =>
    withNs(async (ns) => {
      const burn = burner();
      try {
        const base = await spawnLoop(ADDS);
        const { ms } = await daemonBurst(ns, ADDS, {});
        const base2 = await spawnLoop(ADDS);
        const rate = (ADDS / ms) * 1000;
        const baseRate = (2 * ADDS * 1000) / (base + base2);
        return [
          {
            name: `riposte agent: stateful custom-script adds/s, ${ADDS} on execq, machine busy`,
            value: rate,
            unit: 'adds/s',
            baseline: baseRate,
            ratio: rate / baseRate,
            target: 0.8 * baseRate,
            note: `target = 0.8x baseline; path: execq -> execd -> spawn worker -> script -> store; baseline = sequential spawn-and-wait loop of the same script (before and after: ${((ADDS / base) * 1000).toFixed(0)}/${((ADDS / base2) * 1000).toFixed(0)} /s); one CPU burner running; ${loadNote()}`,
          },
        ];
      } finally {
        burn.kill('SIGKILL');
      }
    }),
};

const DELAY_RE = /Event loop delay since start: p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms/;

function delayOf(log: string): { p50: number; p99: number; max: number } {
  const m = DELAY_RE.exec(log);
  if (m === null) {
    throw new Error('custom-loop: no event loop delay line in riposte.log');
  }
  return { p50: Number(m[1]), p99: Number(m[2]), max: Number(m[3]) };
}

export const customLoop: BenchModule = {
  name: 'custom-loop',
  run: () =>
    withNs(async (ns) => {
      const workers = await daemonBurst(ns, LOOP_SCRIPTS, {});
      const main = await daemonBurst(ns, LOOP_SCRIPTS, { RIPOSTE_SPAWN_WORKERS: '0' });
      const w = delayOf(workers.log);
      const m = delayOf(main.log);
      return [
        {
          name: `riposte agent: main event-loop delay p99 during ${LOOP_SCRIPTS} custom scripts`,
          value: w.p99,
          unit: 'ms',
          baseline: m.p99,
          ratio: w.p99 / m.p99,
          target: 20,
          lowerIsBetter: true,
          note: `p50 ${w.p50} ms, max ${w.max} ms; burst took ${(workers.ms / 1000).toFixed(1)} s; path: execq -> execd -> spawn workers; baseline = same burst spawning on the main thread (RIPOSTE_SPAWN_WORKERS=0: p50 ${m.p50}, max ${m.max} ms, ${(main.ms / 1000).toFixed(1)} s); ${loadNote()}`,
        },
      ];
    }),
};
