/**
 * Shared by the agent benchmarks: a throwaway agent home in the temp dir (Wazuh layout), the trivial
 * sh response scripts they run, and the AR messages they send. Every script input is generated
 * here (loopback-range srcips), and the scripts refuse a srcip that is not digits and dots before
 * using it as a file name.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Creates `<tmp>/riposte-XXXX` with etc/shared, active-response/bin, logs, var. Caller removes it. */
export function makeAgentHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
  for (const d of ['etc/shared', 'active-response/bin', 'logs', 'var']) {
    fs.mkdirSync(path.join(home, d), { recursive: true });
  }
  return home;
}

export function removeAgentHome(home: string): void {
  // Investigation aid: RIPOSTE_BENCH_KEEP=<dir> keeps a copy of each home there.
  const keep = process.env['RIPOSTE_BENCH_KEEP'];
  if (keep !== undefined && keep !== '') {
    fs.cpSync(home, path.join(keep, path.basename(home)), {
      recursive: true,
      filter: (src) => !fs.lstatSync(src).isSocket(),
    });
  }
  fs.rmSync(home, { recursive: true, force: true });
}

/**
 * Stateless latency probe: takes an epoch-ns timestamp first thing (`date +%s%N`), then reads its
 * message and writes the timestamp to `stamps/<srcip>` (relative to its cwd); prints nothing.
 */
export const STAMP_SCRIPT = `#!/bin/sh
t=$(date +%s%N)
read -r line
ip=\${line#*\\"srcip\\":\\"}
ip=\${ip%%\\"*}
case "$ip" in ''|*[!0-9.]*) exit 1 ;; esac
printf '%s\\n' "$t" > "stamps/$ip"
exit 0
`;

/**
 * Trivial stateful script, no forks (dash builtins only): reads the message, prints check_keys
 * with its srcip as the key, reads the continue/abort reply, exits 0.
 */
export const KEYED_SCRIPT = `#!/bin/sh
read -r line
ip=\${line#*\\"srcip\\":\\"}
ip=\${ip%%\\"*}
printf '{"version":1,"origin":{"name":"keyed","module":"active-response"},"command":"check_keys","parameters":{"keys":["%s"]}}\\n' "$ip"
read -r reply
exit 0
`;

/** Writes `body` to `<home>/active-response/bin/<name>` (mode 0750); returns its absolute path. */
export function installScript(home: string, name: string, body: string): string {
  const file = path.join(home, 'active-response', 'bin', name);
  fs.writeFileSync(file, body, { mode: 0o750 });
  return file;
}

/** Writes `<home>/etc/shared/ar.conf` ("name - executable - timeout" lines). */
export function writeArConf(home: string, lines: readonly string[]): void {
  fs.writeFileSync(path.join(home, 'etc', 'shared', 'ar.conf'), lines.map((l) => `${l}\n`).join(''));
}

/**
 * The i-th address (i < 512) of a bench range (< 64), in 198.18.0.0/16 (RFC 2544): a string handed
 * to scripts only. Not loopback: the agent refuses any response that targets 127.0.0.0/8
 * (never-block.ts), which left this benchmark without a sample from 2026-11-30 to 2026-12-04.
 */
export function benchIp(range: number, i: number): string {
  if (i >= 512 || range >= 64) {
    throw new RangeError(`benchIp(${range}, ${i}): out of the 198.18.0.0/16 plan`);
  }
  return `198.18.${range * 2 + (i >> 8)}.${i & 255}`;
}

/** An AR message as Wazuh's manager sends it, for `srcip`; `seq` makes the alert id unique. */
export function arMessage(arName: string, srcip: string, seq: number): string {
  return JSON.stringify({
    version: 1,
    origin: { name: 'node01', module: 'wazuh-analysisd' },
    command: arName,
    parameters: {
      extra_args: [],
      alert: {
        id: `1700000000.${seq}`,
        rule: { id: '5712', level: 10 },
        data: { srcip },
      },
    },
  });
}

/** "load 3.21 (2 CPUs)": the 1-minute load average now, for report notes (the machine is shared). */
export function loadNote(): string {
  return `load ${os.loadavg()[0]?.toFixed(2) ?? '?'} (${os.cpus().length} CPUs)`;
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) {
    return NaN;
  }
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

/** Resolves after `ms` (pacing between sends; not used to wait for results). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
