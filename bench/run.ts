/**
 * Benchmark harness: `npm run bench [-- --only NAME] [-- --check]`. Runs each registered module,
 * prints one table row per report, and with `--check` exits 1 when a target is missed. Later issues
 * add modules to `modules` below.
 */
import type { BenchModule, BenchReport } from './bench-types.js';
import { ingestMatch } from './ingest-match.js';
import { agentLatency } from './agent-latency.js';
import { managerFanout } from './manager-fanout.js';
import { execqBurst, startAlerts, startLatency } from './public-paths.js';
import { dueReverts, rebootReapply, restartRearm } from './restart-reboot.js';
import { customAdds, customLoop } from './custom-scripts.js';
import { managerLink } from './manager-link.js';
import { cliStartup } from './cli-startup.js';
import { consoleActive } from './console-active.js';
import { clusterBus } from './cluster-bus.js';
import { clusterIngest, clusterNodes, clusterNodesNats } from './cluster-nodes.js';
import { errorMessage } from '../src/protocol/error-message.js';

const modules: readonly BenchModule[] = [
  execqBurst,
  startAlerts,
  startLatency,
  managerLink,
  rebootReapply,
  dueReverts,
  restartRearm,
  customAdds,
  customLoop,
  ingestMatch,
  agentLatency,
  managerFanout,
  cliStartup,
  consoleActive,
  clusterBus,
  clusterNodes,
  clusterNodesNats,
  clusterIngest,
];

function fmt(n: number | undefined): string {
  if (n === undefined) {
    return '';
  }
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

function verdict(r: BenchReport): string {
  if (r.target === undefined) {
    return '';
  }
  const ok = r.lowerIsBetter === true ? r.value <= r.target : r.value >= r.target;
  return ok ? 'ok' : 'MISS';
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function parseArgs(argv: readonly string[]): { only: string | undefined; check: boolean } {
  const i = argv.indexOf('--only');
  return { only: i >= 0 ? argv[i + 1] : undefined, check: argv.includes('--check') };
}

async function main(): Promise<void> {
  const { only, check } = parseArgs(process.argv.slice(2));
  const names = only?.split(',');
  const selected = modules.filter((m) => names === undefined || names.includes(m.name));
  if (selected.length === 0) {
    process.stderr.write(
      `no benchmark named ${JSON.stringify(only)}; known: ${modules.map((m) => m.name).join(', ')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const rows: string[][] = [['benchmark', 'value', 'unit', 'baseline', 'ratio', 'target', '', 'note']];
  let failed = false;
  for (const m of selected) {
    const t0 = performance.now();
    let reports: BenchReport[];
    try {
      reports = await m.run();
    } catch (err) {
      // One benchmark failing (e.g. a target far missed, a daemon that did not finish) must not hide
      // the others' figures: it becomes a FAILED row.
      failed = true;
      const why = errorMessage(err);
      rows.push([m.name, '', '', '', '', '', 'FAILED', why.split('\n')[0] ?? '']);
      continue;
    }
    process.stderr.write(`${m.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const r of reports) {
      rows.push([
        r.name,
        fmt(r.value),
        r.unit,
        fmt(r.baseline),
        fmt(r.ratio),
        fmt(r.target),
        verdict(r),
        r.note ?? '',
      ]);
    }
  }
  process.stdout.write(`${table(rows)}\n`);
  if (failed || (check && rows.some((r) => r[6] === 'MISS'))) {
    process.exitCode = 1;
  }
}

await main();
