/**
 * `riposte explain -c FILE [ALERTS] [--json] [--agents IDS]`: for each alert (one JSON object per
 * line; "-" or no argument reads stdin) and each `<active-response>` block, whether it fires, where,
 * why not, and the exact AR message analysisd would send. Offline: nothing is dispatched.
 *
 * A malformed line is reported on stderr as `line N: <error>` and the others are still processed;
 * the exit code is then 1, else 0. Config warnings go to stderr as `warning: ...`. A config that does
 * not load exits with its error (exit-codes.ts).
 */
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { Config } from '../../core/config-model.js';
import { loadConfig } from '../../config/load-config.js';
import type { KnownAgent } from '../../core/match/decision.js';
import { planAlert } from '../../core/match/plan-responses.js';
import { parseAlertLine } from '../../protocol/alert.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { EXIT_INVALID } from '../exit-codes.js';
import { agentsFor, parseAgentsOption } from '../explain/known-agents.js';
import { explainJson, explainText } from '../explain/format-explain.js';
import { printable, printableLines } from '../../protocol/printable.js';

interface ExplainOptions {
  readonly config: string;
  readonly json?: boolean;
  readonly agents?: string;
}

interface ExplainRun {
  readonly config: Config;
  readonly json: boolean;
  readonly agents: readonly KnownAgent[] | undefined;
}

/** Writes to stdout, waiting for the pipe to drain so huge inputs do not buffer in memory. */
async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) {
    await once(process.stdout, 'drain');
  }
}

/** Explains one line; returns false when it is malformed (reported on stderr). */
async function explainLine(run: ExplainRun, line: string, lineNo: number): Promise<boolean> {
  const parsed = parseAlertLine(line);
  if (!parsed.ok) {
    process.stderr.write(`line ${lineNo}: ${printable(parsed.error)}\n`);
    return false;
  }
  const alert = parsed.alert;
  const { decisions } = planAlert(alert, run.config, { agents: agentsFor(run.agents, alert.agentId) });
  await writeOut(
    run.json
      ? `${JSON.stringify(explainJson(alert, decisions))}\n`
      : printableLines(explainText(alert, decisions, lineNo)),
  );
  return true;
}

/** Processes every non-blank line; returns the number of malformed ones. */
async function explainStream(run: ExplainRun, input: Readable): Promise<number> {
  let lineNo = 0;
  let bad = 0;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    const line = raw.trim();
    if (line !== '' && !(await explainLine(run, line, lineNo))) {
      bad++;
    }
  }
  return bad;
}

/**
 * Where alerts come from: the file, or stdin for "-" or no argument. With no argument and a terminal
 * on stdin nothing would ever arrive: a usage error (exit 2) says what to give instead of waiting.
 */
export function alertsSource(arg: string | undefined, stdinIsTty: boolean): 'stdin' | { file: string } {
  if (arg === undefined && stdinIsTty) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      'Give an alerts file (one JSON alert per line), or pipe alerts in: riposte explain -c FILE alerts.json',
      { usage: true },
    );
  }
  return arg === undefined || arg === '-' ? 'stdin' : { file: arg };
}

/** Opens the file first, so a missing one is a clear error before any output. */
async function openAlerts(source: 'stdin' | { file: string }): Promise<Readable> {
  if (source === 'stdin') {
    return process.stdin;
  }
  const handle = await open(source.file, 'r');
  return handle.createReadStream({ encoding: 'utf8' });
}

async function runExplain(alerts: string | undefined, opts: ExplainOptions): Promise<void> {
  const source = alertsSource(alerts, process.stdin.isTTY);
  const agents = opts.agents === undefined ? undefined : parseAgentsOption(opts.agents);
  const config = await loadConfig(opts.config, 'manager');
  process.stderr.write(config.warnings.map((w) => `warning: ${w}\n`).join(''));
  const input = await openAlerts(source);
  const bad = await explainStream({ config, json: opts.json === true, agents }, input);
  if (bad > 0) {
    process.exitCode = EXIT_INVALID;
  }
}

/** Registers `explain` on the program. */
export function register(program: Command): void {
  program
    .command('explain')
    .description('show which active responses each alert triggers, where, why not, and the AR message')
    .requiredOption('-c, --config <file>', 'manager ossec.conf')
    .argument('[alerts]', 'alerts file, one JSON object per line ("-" or none = stdin)')
    .option('--json', 'one JSON object per alert (NDJSON)')
    .option('--agents <ids>', 'active agents for location "all", e.g. 001,002 (default: the alert\'s agent)')
    .action(async (alerts: string | undefined, opts: ExplainOptions) => {
      await runExplain(alerts, opts);
    });
}
