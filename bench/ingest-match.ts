/**
 * Ingest + match throughput: alerts.json lines parsed (`parseAlertLine`) and planned against a
 * 50-rule config (`planAlert`), compared with a `JSON.parse`-only pass over the same lines in
 * the same run. Best of several alternating rounds; bounded to a few seconds.
 * Targets: >= 100,000 alerts/s on one core and a ratio >= 0.5.
 */
import { performance } from 'node:perf_hooks';
import type { BenchModule, BenchReport } from './bench-types.js';
import { generateAlertLines } from './alert-corpus.js';
import { benchConfig } from './bench-config.js';
import { planAlert } from '../src/core/match/plan-responses.js';
import type { KnownAgent } from '../src/core/match/decision.js';
import { parseAlertLine } from '../src/protocol/alert.js';
import type { Config } from '../src/core/config-model.js';

const LINES = 20_000;
const ROUNDS = 7;
const RULES = 50;
/** Stop adding rounds after this long (ms); each round is well under a second. */
const BUDGET_MS = 15_000;

interface Pass {
  readonly ms: number;
  /** Folded result, so the work cannot be optimised away. */
  readonly sink: number;
}

function jsonOnly(lines: readonly string[]): Pass {
  const t0 = performance.now();
  let sink = 0;
  for (const line of lines) {
    const v = JSON.parse(line) as { id?: unknown };
    sink += typeof v.id === 'string' ? 1 : 0;
  }
  return { ms: performance.now() - t0, sink };
}

function ingest(lines: readonly string[], config: Config, agents: readonly KnownAgent[]): Pass {
  const t0 = performance.now();
  let sink = 0;
  for (const line of lines) {
    const r = parseAlertLine(line);
    if (r.ok) {
      for (const d of planAlert(r.alert, config, { agents }).firing) {
        sink += d.targets.length;
      }
    }
  }
  return { ms: performance.now() - t0, sink };
}

async function run(): Promise<BenchReport[]> {
  const lines = generateAlertLines(LINES);
  const config = benchConfig(RULES);
  const agents: KnownAgent[] = Array.from({ length: 100 }, (_, i) => ({
    id: String(i).padStart(3, '0'),
    active: i % 10 !== 9,
  }));
  let bestJson = Infinity;
  let bestIngest = Infinity;
  let dispatches = 0;
  const start = performance.now();
  ingest(lines.slice(0, 2000), config, agents); // warm-up
  jsonOnly(lines.slice(0, 2000));
  for (let i = 0; i < ROUNDS && performance.now() - start < BUDGET_MS; i++) {
    bestJson = Math.min(bestJson, jsonOnly(lines).ms);
    const p = ingest(lines, config, agents);
    bestIngest = Math.min(bestIngest, p.ms);
    dispatches = p.sink;
  }
  await Promise.resolve();
  const perSec = (ms: number): number => (LINES * 1000) / ms;
  const value = perSec(bestIngest);
  const baseline = perSec(bestJson);
  const bytes = lines.reduce((n, l) => n + l.length, 0);
  const note = `${LINES} lines (avg ${Math.round(bytes / LINES)} B), ${config.rules.length} AR rules, ${(dispatches / LINES).toFixed(2)} targets/alert`;
  return [
    {
      name: 'ingest+match',
      value,
      unit: 'alerts/s',
      baseline,
      ratio: value / baseline,
      target: 100_000,
      note,
    },
    { name: 'ingest+match / JSON.parse', value: value / baseline, unit: 'x', target: 0.5 },
  ];
}

export const ingestMatch: BenchModule = { name: 'ingest-match', run };
