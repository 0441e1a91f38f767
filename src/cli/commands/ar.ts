/**
 * `riposte ar list|revert|run|history`: operate active responses through a daemon's API: a local
 * daemon (`--home DIR` or RIPOSTE_HOME: its `var/api.sock`) or a manager (`--manager URL` or
 * RIPOSTE_URL). Both go through the same verbs (manager-ar.ts) and the same API shapes; only the
 * client differs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { addHistoryFilterOptions } from '../history-filters.js';
import { remoteArHistory } from './ar-history.js';
import { localClient } from '../local-client.js';
import { isRemote } from '../remote-client.js';
import {
  addRemoteOptions,
  remoteArList,
  remoteArRevert,
  remoteArRun,
  type ActiveListFlags,
  type RemoteRunFlags,
} from './manager-ar.js';

interface HomeFlags extends RemoteRunFlags {
  readonly home?: string;
}

/** The flags with the client of the daemon to talk to. */
function withClient<T extends HomeFlags>(flags: T): T {
  if (isRemote(flags)) {
    return flags;
  }
  const home = flags.home ?? process.env['RIPOSTE_HOME'];
  if (home === undefined) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      'Give --home DIR (or set RIPOSTE_HOME), or --manager URL',
    );
  }
  try {
    return { ...flags, client: localClient(home) };
  } catch (err: unknown) {
    throw managerHomeHint(home) ?? err;
  }
}

/** On a manager's home (it has var/admin.token, no local API token): how to reach it instead. */
function managerHomeHint(home: string): RiposteError | undefined {
  if (!existsSync(join(home, 'var', 'admin.token')) || existsSync(join(home, 'var', 'api.token'))) {
    return undefined;
  }
  return new RiposteError(
    ErrorCode.REQUEST_INVALID,
    `"${home}" is a manager's home: its API is HTTPS. Use --manager HOST[:PORT] ` +
      `--token "$(cat ${home}/var/admin.token)" --ca ${home}/etc/pki/ca.pem (or RIPOSTE_URL, RIPOSTE_TOKEN, RIPOSTE_CA)`,
    { usage: true },
  );
}

export function register(program: Command): void {
  const ar = program.command('ar').description('list, revert, run and audit active responses');
  const common = (c: Command): Command =>
    addRemoteOptions(
      c
        .option('--home <dir>', 'a local daemon home (default: $RIPOSTE_HOME)')
        .option('--output <format>', 'table (aligned columns) or json (one object per line)', 'table')
        .option('--json', 'same as --output json'),
    );
  common(ar.command('list').description('active responses and when they expire'))
    .option(
      '--ip <address>',
      'only the responses for this source address (any written form) or network (CIDR)',
    )
    .option('--command <name>', 'only this command (firewall-drop) or AR name (firewall-drop600)')
    .action(async (flags: HomeFlags & ActiveListFlags) => remoteArList(withClient(flags)));
  common(ar.command('revert [key]').description('revert now (runs the delete)'))
    .option(
      '--all',
      'revert every active response (one gone meanwhile is noted, a failure does not stop the rest)',
    )
    .action(async (key: string | undefined, flags: HomeFlags & { all?: boolean }) =>
      remoteArRevert(key, withClient(flags)),
    );
  common(
    ar
      .command('run <name>')
      .description('run an active response: its AR name (firewall-drop600) or command name (firewall-drop)'),
  )
    .option('--srcip <ip>', 'source IP for the alert')
    .option('--user <name>', 'user (data.dstuser) for the alert')
    .option('--alert <file>', 'a whole alert (JSON) to send, or - for stdin')
    .option(
      '--dry-run',
      'decide, record and log on the agents but touch nothing on the host; the executions list the commands that would run',
    )
    .action(async (name: string, flags: HomeFlags) => remoteArRun(name, withClient(flags)));
  addHistoryFilterOptions(
    common(ar.command('history').description('executions with their outcomes, newest first')),
  )
    .option('--limit <n>', 'how many', '50')
    .option(
      '--follow',
      'then print each new execution with its outcome as it happens (Ctrl-C stops; exit 3 when the daemon closes the feed)',
    )
    .action(async (flags: HomeFlags & { limit: string }) => remoteArHistory(withClient(flags)));
}
