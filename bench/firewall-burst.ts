/**
 * Firewall burst benchmark: blocks 10,000 distinct IPv4 addresses through the agent's in-process
 * firewall-drop (nftables backend, concurrent, as the agent runs a burst) and up to 2,000 through the
 * iptables backend (Wazuh's rule-per-address layout), inside a scratch network namespace it creates
 * and deletes (the host's firewall is never touched). The measuring runs in a child process started
 * inside the namespace (bench/firewall-burst-worker.ts).
 *
 * Targets: the nftables burst under 5 s, and the cost of one more add with 10,000 present within
 * 1.5x of the cost with none (flat). The iptables rows are the comparison. Results are also written
 * to BENCHMARKS.md, section "Firewall burst" (replaced on each run). Needs root; skipped otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../src/exec/run-process.js';
import type { BenchModule, BenchReport } from './bench-types.js';
import type { WorkerResult } from './firewall-burst-worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench/ -> repository root. */
const BENCHMARKS_MD = path.resolve(here, '..', '..', 'BENCHMARKS.md');
const SECTION = '## Firewall burst';

async function ip(args: readonly string[]): Promise<void> {
  const r = await runProcess({ file: '/usr/sbin/ip', args, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new Error(`ip ${args.join(' ')}: ${r.stderr || String(r.spawnError)}`);
  }
}

async function runWorker(): Promise<WorkerResult> {
  const ns = `rip-${randomBytes(4).toString('hex')}-b`;
  await ip(['netns', 'add', ns]);
  try {
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    const worker = path.join(here, 'firewall-burst-worker.js');
    const r = await runProcess({
      file: '/usr/sbin/ip',
      args: ['netns', 'exec', ns, process.execPath, worker],
      timeoutMs: 600_000,
    });
    if (r.exitCode !== 0) {
      throw new Error(`firewall-burst worker failed: ${r.stderr.trim() || String(r.spawnError)}`);
    }
    return JSON.parse(r.stdout.trim()) as WorkerResult;
  } finally {
    await ip(['netns', 'del', ns]);
  }
}

function reports(w: WorkerResult): BenchReport[] {
  const iptAt0 = w.ipt.addMsAt[0]?.[1] ?? NaN;
  const rows: BenchReport[] = [
    {
      name: `firewall-drop burst, nftables, ${w.nft.count} IPs (agent)`,
      value: w.nft.burstMs / 1000,
      unit: 's',
      target: 5,
      lowerIsBetter: true,
      note: `${w.nft.transactions} nft transaction(s)`,
    },
    {
      name: `nftables: one more add with ${w.nft.count} present`,
      value: w.nft.addMsFull,
      unit: 'ms',
      baseline: w.nft.addMs0,
      ratio: w.nft.addMsFull / w.nft.addMs0,
      note: 'baseline = same add with 0 present',
    },
    {
      name: 'nftables: add cost ratio (10k present / 0 present)',
      value: w.nft.addMsFull / w.nft.addMs0,
      unit: 'x',
      target: 1.5,
      lowerIsBetter: true,
    },
    {
      name: `firewall-drop burst, iptables, ${w.ipt.count} IPs`,
      value: w.ipt.burstMs / 1000,
      unit: 's',
      note: `${(w.ipt.burstMs / Math.max(1, w.ipt.count)).toFixed(1)} ms/add${w.ipt.budgetHit ? ', stopped by time budget' : ''}`,
    },
  ];
  for (const [present, ms] of w.ipt.addMsAt.slice(1)) {
    rows.push({
      name: `iptables: one more add with ${present} present`,
      value: ms,
      unit: 'ms',
      baseline: iptAt0,
      ratio: ms / iptAt0,
      note: 'baseline = same add with 0 present',
    });
  }
  return rows;
}

function markdown(rows: readonly BenchReport[]): string {
  const load = os.loadavg()[0]?.toFixed(1) ?? '?';
  const lines = [
    SECTION,
    '',
    `Run ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPU(s), load average ${load} at the end.`,
    'Source: `bench/firewall-burst.ts` (`npm run bench -- --only firewall-burst`), inside a scratch network namespace.',
    '',
    '| measure | value | unit | baseline | ratio | target | note |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.value.toFixed(2)} | ${r.unit} | ${r.baseline?.toFixed(2) ?? ''} | ${r.ratio?.toFixed(2) ?? ''} | ${r.target === undefined ? '' : `${r.lowerIsBetter === true ? '<=' : '>='} ${r.target}`} | ${r.note ?? ''} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** Replaces the "Firewall burst" section of BENCHMARKS.md, or appends it. */
function writeSection(text: string): void {
  let doc = fs.existsSync(BENCHMARKS_MD) ? fs.readFileSync(BENCHMARKS_MD, 'utf8') : '# Benchmarks\n\n';
  const start = doc.indexOf(`${SECTION}\n`);
  if (start >= 0) {
    const next = doc.indexOf('\n## ', start + SECTION.length);
    doc = `${doc.slice(0, start)}${text.trimEnd()}\n${next >= 0 ? `\n${doc.slice(next + 1)}` : ''}`;
  } else {
    doc = `${doc.trimEnd()}\n\n${text.trimEnd()}\n`;
  }
  fs.writeFileSync(BENCHMARKS_MD, doc);
}

export const firewallBurst: BenchModule = {
  name: 'firewall-burst',
  async run() {
    if (process.getuid?.() !== 0) {
      process.stderr.write('firewall-burst: skipped (needs root to create a network namespace)\n');
      return [];
    }
    const rows = reports(await runWorker());
    writeSection(markdown(rows));
    return rows;
  },
};
