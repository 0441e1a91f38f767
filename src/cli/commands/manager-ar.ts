/**
 * `riposte ar list|revert|run|history` against a daemon's API: a manager (`--manager URL`, or
 * RIPOSTE_URL) or a local daemon (`--home DIR`: ar.ts passes the local socket's client). Every
 * daemon answers the same shapes, so these are the only implementation of the verbs (`history`
 * is ar-history.ts; its table is formatExecutions below):
 * - `history` without `--agent` has an AGENT column (execution ids are per agent);
 * - `revert` prints the revert orders queued (a manager: follow them with `riposte ar history`) and
 *   the delete executions already run (a bare agent runs them at once);
 * - `run` prints Wazuh's per-agent result.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { activeView, executionView, type ExecutionView } from '../../api/routes/views.js';
import type { ApiTimes } from '../../protocol/api-times.js';
import type { FleetActiveResponse, RevertAnswer } from '../../protocol/fleet-records.js';
import type { WazuhStyleResult } from '../../manager/manager-service.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { getPath, isJsonObject, type JsonObject } from '../../protocol/json.js';
import { formatSeconds, formatTable } from '../format-table.js';
import { noteCell } from '../execution-note.js';
import { isResponseNotFound, withKeyHint } from '../revert-hint.js';
import { remoteClient, type RemoteClient, type RemoteFlags } from '../remote-client.js';
import { jsonLines, outputFormat } from '../output.js';
import { revertAllError, revertAllNotes, revertEach } from './revert-all.js';

/** Flags every remote verb takes. */
export interface RemoteArFlags extends RemoteFlags {
  /** Only this agent ("001"); all agents when absent. */
  readonly agent?: string | undefined;
  readonly json?: boolean | undefined;
  /** `table` (default) or `json` (one object per line). */
  readonly output?: string | undefined;
  /** Where output goes. @default process.stdout */
  readonly out?: ((text: string) => void) | undefined;
  /** Where notes go (`revert --all`: keys already gone, failures). @default process.stderr */
  readonly err?: ((text: string) => void) | undefined;
  /** The clock for "expires in" (epoch ms). @default Date.now() */
  readonly now?: number | undefined;
  /** Pre-built client (tests). @default remoteClient(flags) */
  readonly client?: RemoteClient | undefined;
}

export interface Ctx {
  readonly client: RemoteClient;
  readonly out: (text: string) => void;
  readonly json: boolean;
  readonly agent: string | undefined;
}

const AGENT_RE = /^\d{3,8}$/;

export function ctxOf(flags: RemoteArFlags): Ctx {
  if (flags.agent !== undefined && !AGENT_RE.test(flags.agent)) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `--agent: "${flags.agent}" is not an agent id (e.g. 001)`,
    );
  }
  return {
    client: flags.client ?? remoteClient(flags),
    out: flags.out ?? ((text) => void process.stdout.write(text)),
    json: outputFormat(flags) === 'json',
    agent: flags.agent,
  };
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined) {
      q.set(k, String(v));
    }
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** The local verbs' execution table, with an AGENT column when `withAgent`. */
export function formatExecutions(items: readonly ExecutionView[], withAgent: boolean): string {
  const head = [
    'ID',
    ...(withAgent ? ['AGENT'] : []),
    'STARTED',
    'ACTION',
    'AR NAME',
    'KEY',
    'STATUS',
    'EXIT',
    'NOTE',
  ];
  const rows = items.map((e) => [
    String(e.id),
    ...(withAgent ? [e.agent_id] : []),
    e.started_at ?? '',
    e.action,
    e.ar_name,
    e.key ?? '-',
    e.status,
    e.exit_code === null ? (e.signal ?? '-') : String(e.exit_code),
    noteCell(e),
  ]);
  return formatTable(head, rows);
}

/** `ar list --ip ADDRESS --command NAME`: the API's filters of `GET /active-responses`. */
export interface ActiveListFlags {
  readonly ip?: string | undefined;
  readonly command?: string | undefined;
}

/**
 * Every active response (of `c.agent`, or of the fleet; `filter` applied by the API): the API
 * answers at most 1,000 a page (issue 13), so this follows `nextCursor` until the last page.
 */
async function listAllActive(c: Ctx, filter: ActiveListFlags = {}): Promise<ApiTimes<FleetActiveResponse>[]> {
  const all: ApiTimes<FleetActiveResponse>[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.client.call<{ items: ApiTimes<FleetActiveResponse>[]; nextCursor?: string }>(
      'GET',
      `/active-responses${query({ agent: c.agent, ip: filter.ip, command: filter.command, cursor })}`,
    );
    all.push(...page.items);
    // A cursor that does not move would loop forever: stop there (never expected).
    cursor = page.nextCursor === cursor ? undefined : page.nextCursor;
  } while (cursor !== undefined);
  return all;
}

/** `riposte ar list [--agent ID] [--ip ADDRESS] [--command NAME]`. */
export async function remoteArList(flags: RemoteArFlags & ActiveListFlags): Promise<void> {
  const c = ctxOf(flags);
  const now = flags.now ?? Date.now();
  const items = await listAllActive(c, flags);
  const views = items.map((a) => activeView(a, now));
  if (c.json) {
    c.out(jsonLines(views));
    return;
  }
  if (views.length === 0) {
    const filtered = flags.ip !== undefined || flags.command !== undefined;
    const where = c.agent === undefined ? '' : ` on agent ${c.agent}`;
    c.out(filtered ? `No active response matches${where}.\n` : `No active responses${where}.\n`);
    return;
  }
  const rows = views.map((a) => [
    a.key,
    a.ar_name,
    a.agent_id,
    a.since ?? '',
    formatSeconds(a.expires_in),
    String(a.repeat_count),
  ]);
  c.out(formatTable(['KEY', 'AR NAME', 'AGENT', 'SINCE', 'EXPIRES IN', 'REPEATS'], rows));
}

function printReverts(c: Ctx, answers: readonly ApiTimes<RevertAnswer>[]): void {
  const orders = answers.flatMap((a) => a.orders);
  const executions = answers.flatMap((a) => a.executions).map(executionView);
  if (c.json) {
    c.out(jsonLines([...orders, ...executions]));
    return;
  }
  if (orders.length > 0 || executions.length === 0) {
    const rows = orders.map((o) => [o.agentId, String(o.seq), o.kind, o.key ?? '-', o.state]);
    c.out(formatTable(['AGENT', 'ORDER', 'KIND', 'KEY', 'STATE'], rows));
  }
  if (executions.length > 0) {
    c.out(formatExecutions(executions, false));
  }
}

/**
 * `riposte ar revert KEY|--all [--agent ID]`: reverts and prints the orders and executions. With
 * `--all`, keys already gone are noted, not failed; other failures are noted and fail the command
 * once every key was tried, or the manager stopped answering (revert-all.ts).
 */
export async function remoteArRevert(
  key: string | undefined,
  flags: RemoteArFlags & { readonly all?: boolean | undefined },
): Promise<void> {
  const c = ctxOf(flags);
  const revertOne = (k: string, agent: string | undefined): Promise<ApiTimes<RevertAnswer>> =>
    c.client.call<ApiTimes<RevertAnswer>>(
      'DELETE',
      `/active-responses/${encodeURIComponent(k)}${query({ agent })}`,
    );
  if (flags.all === true) {
    // Each key on its own: one gone or failing never stops the rest (revert-all.ts).
    const outcome = await revertEach(await listAllActive(c), (a) => revertOne(a.key, a.agentId));
    printReverts(c, outcome.answers);
    const notes = revertAllNotes(outcome);
    if (notes !== '') {
      (flags.err ?? ((text) => void process.stderr.write(text)))(notes);
    }
    const failure = revertAllError(outcome);
    if (failure !== undefined) {
      throw failure;
    }
    return;
  }
  if (key === undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, 'Give a KEY (see `riposte ar list`) or --all');
  }
  try {
    printReverts(c, [await revertOne(key, c.agent)]);
  } catch (err) {
    if (!isResponseNotFound(err)) {
      throw err;
    }
    // The hint is a help: a failing list leaves the not-found error as it is.
    throw withKeyHint(err, key, await listAllActive(c).catch(() => []));
  }
}

export interface RemoteRunFlags extends RemoteArFlags {
  readonly srcip?: string | undefined;
  readonly user?: string | undefined;
  /** A file holding a whole alert (JSON), or "-" for stdin. */
  readonly alert?: string | undefined;
  /** `PUT /active-response?dry_run=true`: nothing touches the host (ar-message.ts `dryRun`). */
  readonly dryRun?: boolean | undefined;
}

function readAlert(file: string | undefined): JsonObject | undefined {
  if (file === undefined) {
    return undefined;
  }
  const parsed: unknown = JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8'));
  if (!isJsonObject(parsed)) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `${file}: not a JSON object`);
  }
  return parsed;
}

/** The per-agent lines of a Wazuh result: "001  sent", "003  failed 1707 Cannot send ...". */
export function formatRunResult(result: WazuhStyleResult): string {
  const rows = result.data.affected_items.map((id) => [id, 'sent', '']);
  for (const f of result.data.failed_items) {
    rows.push(...f.id.map((id) => [id, `failed ${f.error.code}`, f.error.message]));
  }
  return formatTable(['AGENT', 'RESULT', 'MESSAGE'], rows) + `${runSummary(result)}\n`;
}

/** What happened, in the CLI's words (Wazuh's message says "all agents" even for one agent). */
export function runSummary(result: WazuhStyleResult): string {
  const sent = result.data.affected_items;
  const failed = result.data.total_failed_items;
  const to = sent.length === 1 ? `agent ${sent[0] ?? ''}` : `${sent.length} agents`;
  if (sent.length === 0) {
    return `Not sent (${failed} ${failed === 1 ? 'agent' : 'agents'} failed).`;
  }
  return failed === 0 ? `Sent to ${to}.` : `Sent to ${to}; not sent to ${failed}.`;
}

interface RulesAnswer {
  readonly rules: readonly {
    readonly command: string;
    readonly arName: string;
    readonly disabled: boolean;
  }[];
}

/**
 * `ar run NAME` with a command name (`firewall-drop`) instead of an AR name: its ar.conf entry when
 * there is exactly one (`firewall-drop600`), else the choices. The daemon's `GET /rules` says which;
 * a daemon without it (a bare agent) gets the name as given.
 */
async function resolveArName(c: Ctx, name: string): Promise<string> {
  if (name.startsWith('!')) {
    return name;
  }
  let rules: RulesAnswer['rules'];
  try {
    rules = (await c.client.call<RulesAnswer>('GET', '/rules')).rules.filter((r) => !r.disabled);
  } catch {
    return name;
  }
  if (rules.some((r) => r.arName === name)) {
    return name;
  }
  const choices = [...new Set(rules.filter((r) => r.command === name).map((r) => r.arName))];
  if (choices.length === 1 && choices[0] !== undefined) {
    process.stderr.write(`"${name}" is the command of ${choices[0]}: running ${choices[0]}.\n`);
    return choices[0];
  }
  if (choices.length > 1) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `"${name}" is the command of several active responses; give one: ${choices.join(', ')}`,
    );
  }
  const known = [...new Set(rules.map((r) => r.arName))];
  const { didYouMean } = await import('../../core/suggest.js');
  throw new RiposteError(
    ErrorCode.AR_COMMAND_UNKNOWN,
    `Cannot run "${name}": not an active response here.${didYouMean(name, [...known, ...rules.map((r) => r.command)])} Known: ${known.join(', ') || 'none'} (or !script for a script in active-response/bin).`,
  );
}

/**
 * `riposte ar run NAME --manager URL [--agent ID]` (every agent without `--agent`): Wazuh's
 * `PUT /active-response` (`--dry-run`: `?dry_run=true`). The srcip and user are validated like a local run. Exits non-zero
 * (REQUEST_INVALID) when the command was sent to no agent.
 */
export async function remoteArRun(given: string, flags: RemoteRunFlags): Promise<void> {
  const c = ctxOf(flags);
  const name = await resolveArName(c, given);
  const { manualRunMessage } = await import('../../local/manual-run.js');
  const message = manualRunMessage(
    { name, srcip: flags.srcip, user: flags.user, alert: readAlert(flags.alert) },
    [],
  );
  const alert = getPath(message, ['parameters', 'alert']);
  const body = { command: name, arguments: [], alert: isJsonObject(alert) ? alert : {} };
  const result = await c.client.call<WazuhStyleResult>(
    'PUT',
    `/active-response${query({ agents_list: c.agent, dry_run: flags.dryRun === true ? 'true' : undefined })}`,
    body,
  );
  c.out(c.json ? `${JSON.stringify(result)}\n` : formatRunResult(result));
  if (flags.dryRun === true && !c.json && result.data.affected_items.length > 0) {
    c.out(
      'Dry run: the agents decide, record and log as usual but touch nothing on the host; each execution lists the commands it would have run (riposte ar history --output json: stderr_tail).\n',
    );
  }
  if (result.error === 1) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `Cannot run "${name}": ${runSummary(result)}`);
  }
}

/** Adds `--manager`, `--token`, `--ca` and `--agent` to a verb (for ar.ts to call on each verb). */
export function addRemoteOptions(cmd: Command): Command {
  return cmd
    .option(
      '--manager <address>',
      'operate a manager (HOST[:PORT], default port 1515, or https:// URL) instead of a local daemon (default: $RIPOSTE_URL)',
    )
    .option('--token <token>', 'API token for --manager (default: $RIPOSTE_TOKEN)')
    .option('--ca <file>', "the manager's CA certificate to pin (default: $RIPOSTE_CA)")
    .option('--agent <id>', 'only this agent (default: all agents)');
}
