/**
 * `riposte ar list|revert|run|history`: operate the active responses of a running daemon through
 * its local API (`--home DIR`, or RIPOSTE_HOME).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ActiveView, ExecutionView } from '../../api/routes/views.js';
import { isJsonObject } from '../../protocol/json.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { formatSeconds, formatTable } from '../format-table.js';
import { localClient } from '../local-client.js';
import { isRemote } from '../remote-client.js';
import {
  addRemoteOptions,
  formatExecutions,
  remoteArHistory,
  remoteArList,
  remoteArRevert,
  remoteArRun,
  type RemoteRunFlags,
} from './manager-ar.js';

interface HomeFlags extends RemoteRunFlags {
  readonly home?: string;
  readonly json?: boolean;
}

function homeOf(flags: HomeFlags): string {
  const home = flags.home ?? process.env['RIPOSTE_HOME'];
  if (home === undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, 'Give --home DIR (or set RIPOSTE_HOME)');
  }
  return home;
}

const out = (text: string): void => {
  process.stdout.write(text);
};

function printExecutions(items: readonly ExecutionView[], json: boolean | undefined): void {
  if (json === true) {
    out(items.map((e) => JSON.stringify(e)).join('\n') + (items.length > 0 ? '\n' : ''));
    return;
  }
  out(formatExecutions(items, false));
}

async function list(flags: HomeFlags): Promise<void> {
  if (isRemote(flags)) {
    return remoteArList(flags);
  }
  const { items } = await localClient(homeOf(flags)).call<{ items: ActiveView[] }>(
    'GET',
    '/active-responses',
  );
  if (flags.json === true) {
    out(items.map((a) => JSON.stringify(a)).join('\n') + (items.length > 0 ? '\n' : ''));
    return;
  }
  const rows = items.map((a) => [
    a.key,
    a.ar_name,
    a.agent_id,
    a.since ?? '',
    formatSeconds(a.expires_in),
    String(a.repeat_count),
  ]);
  out(formatTable(['KEY', 'AR NAME', 'AGENT', 'SINCE', 'EXPIRES IN', 'REPEATS'], rows));
}

async function revert(key: string | undefined, flags: HomeFlags & { all?: boolean }): Promise<void> {
  if (isRemote(flags)) {
    return remoteArRevert(key, flags);
  }
  const client = localClient(homeOf(flags));
  if (flags.all === true) {
    const r = await client.call<{ executions: ExecutionView[] }>('DELETE', '/active-responses');
    printExecutions(r.executions, flags.json);
    return;
  }
  if (key === undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, 'Give a KEY (see `riposte ar list`) or --all');
  }
  const r = await client.call<{ execution: ExecutionView }>(
    'DELETE',
    `/active-responses/${encodeURIComponent(key)}`,
  );
  printExecutions([r.execution], flags.json);
}

type RunFlags = HomeFlags;

async function run(name: string, flags: RunFlags): Promise<void> {
  if (isRemote(flags)) {
    return remoteArRun(name, flags);
  }
  let alert: unknown;
  if (flags.alert !== undefined) {
    alert = JSON.parse(readFileSync(flags.alert === '-' ? 0 : flags.alert, 'utf8'));
    if (!isJsonObject(alert)) {
      throw new RiposteError(ErrorCode.REQUEST_INVALID, `${flags.alert}: not a JSON object`);
    }
  }
  const body = { name, srcip: flags.srcip, user: flags.user, alert };
  const r = await localClient(homeOf(flags)).call<{ execution: ExecutionView }>(
    'POST',
    '/active-responses/run',
    body,
  );
  printExecutions([r.execution], flags.json);
}

async function history(flags: HomeFlags & { limit: string }): Promise<void> {
  if (isRemote(flags)) {
    return remoteArHistory(flags);
  }
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `--limit: "${flags.limit}" is not a positive integer`);
  }
  const r = await localClient(homeOf(flags)).call<{ items: ExecutionView[] }>(
    'GET',
    `/executions?limit=${limit}`,
  );
  printExecutions(r.items, flags.json);
}

export function register(program: Command): void {
  const ar = program.command('ar').description('list, revert, run and audit active responses');
  const common = (c: Command): Command =>
    addRemoteOptions(
      c
        .option('--home <dir>', 'a local daemon home (default: $RIPOSTE_HOME)')
        .option('--json', 'one JSON object per line'),
    );
  common(ar.command('list').description('active responses and when they expire')).action(list);
  common(ar.command('revert [key]').description('revert now (runs the delete)'))
    .option('--all', 'revert every active response')
    .action(revert);
  common(ar.command('run <name>').description('run an active response by AR name (e.g. firewall-drop600)'))
    .option('--srcip <ip>', 'source IP for the alert')
    .option('--user <name>', 'user (data.dstuser) for the alert')
    .option('--alert <file>', 'a whole alert (JSON) to send, or - for stdin')
    .action(run);
  common(ar.command('history').description('executions with their outcomes, newest first'))
    .option('--limit <n>', 'how many', '50')
    .action(history);
}
