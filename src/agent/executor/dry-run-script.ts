/**
 * The dry-run twins of the two real runners: the exchange, every decision, store write and log line
 * happen as in a real run, but nothing touches the host. The outcome's output (`stderrTail`, which
 * the execution record keeps) lists what would have run:
 *   - a stock script whose actions are tool runs (firewall-drop, route-null, firewalld-drop,
 *     disable-account) runs in-process with its tools recorded, not started: the exact
 *     argv and stdin (e.g. the whole `nft -f -` script). A transaction that batches several
 *     executions is recorded on the execution that started it;
 *   - the other stock scripts (host-deny, quarantine, notify, restart-* write files, post or signal) run their input
 *     checks and handshake for real; the action is reported, not performed;
 *   - any other program is not started: the output names the program, its cwd and stdin line. With
 *     no script to print check_keys, its handshake ends at end-of-input (not tracked).
 */
import type { StockContext, StockScript } from '../../scripts/contract/stock-script.js';
import { formatCommand, type RecordedCommand } from '../../scripts/contract/tool-scope.js';
import type { ScriptInvocation, ScriptOutcome } from './executor-port.js';
import { runScriptInProcess } from './in-process-script.js';
import { relativeProgram } from './spawn-script.js';

/** Stock scripts whose every effect on the host is a tool run (tools.ts), so recording them is exact. */
const TOOL_ONLY = new Set(['firewall-drop', 'route-null', 'firewalld-drop', 'disable-account']);

const PREFIX = 'dry run: nothing was run on the host';

function output(lines: readonly string[]): string {
  return lines.length === 0 ? `${PREFIX}; no command` : `${PREFIX}; would run:\n${lines.join('\n')}`;
}

/** The script with its action replaced by a report of it. */
function reportingTwin(script: StockScript, lines: string[]): StockScript {
  const report = (action: 'add' | 'delete') => (ctx: StockContext) => {
    lines.push(`${script.name} ${action} (in-process)${ctx.key === undefined ? '' : ` for ${ctx.key}`}`);
    return Promise.resolve();
  };
  return { ...script, add: report('add'), delete: report('delete') };
}

/** Dry run of a stock script (see module doc). */
export async function dryRunStockScript(
  script: StockScript,
  inv: ScriptInvocation,
  now: () => number,
): Promise<ScriptOutcome> {
  const lines: string[] = [];
  const record = (c: RecordedCommand): void => {
    lines.push(formatCommand(c));
  };
  const twin = TOOL_ONLY.has(script.name) ? script : reportingTwin(script, lines);
  const outcome = await runScriptInProcess(twin, inv, now, { record });
  return { ...outcome, stderrTail: [outcome.stderrTail, output(lines)].filter((s) => s !== '').join('\n') };
}

/** Dry run of a program that would be spawned: reported, not started. */
export function dryRunSpawn(inv: ScriptInvocation, now: () => number): Promise<ScriptOutcome> {
  const startedAt = now();
  const command = formatCommand({ file: relativeProgram(inv.program), args: [], input: `${inv.line}\n` });
  return Promise.resolve({
    exitCode: 0,
    signal: null,
    timedOut: false,
    handshake: inv.mode === 'add' ? 'eof' : 'none',
    firstLine: undefined,
    reply: undefined,
    stderrTail: output([`(cwd ${inv.home}) ${command}`]),
    spawnError: undefined,
    startedAt,
    endedAt: now(),
  });
}
