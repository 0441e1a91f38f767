/**
 * `riposte ar list|revert|run|history`: operate active responses through a daemon's API: a local
 * daemon (`--home DIR` or RIPOSTE_HOME: its `var/api.sock`) or a manager (`--manager URL` or
 * RIPOSTE_URL). Both go through the same verbs (manager-ar.ts) and the same API shapes; only the
 * client differs.
 */
import type { Command } from 'commander';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { localClient } from '../local-client.js';
import { isRemote } from '../remote-client.js';
import {
  addRemoteOptions,
  remoteArHistory,
  remoteArList,
  remoteArRevert,
  remoteArRun,
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
  return { ...flags, client: localClient(home) };
}

export function register(program: Command): void {
  const ar = program.command('ar').description('list, revert, run and audit active responses');
  const common = (c: Command): Command =>
    addRemoteOptions(
      c
        .option('--home <dir>', 'a local daemon home (default: $RIPOSTE_HOME)')
        .option('--json', 'one JSON object per line'),
    );
  common(ar.command('list').description('active responses and when they expire')).action(
    async (flags: HomeFlags) => remoteArList(withClient(flags)),
  );
  common(ar.command('revert [key]').description('revert now (runs the delete)'))
    .option('--all', 'revert every active response')
    .action(async (key: string | undefined, flags: HomeFlags & { all?: boolean }) =>
      remoteArRevert(key, withClient(flags)),
    );
  common(ar.command('run <name>').description('run an active response by AR name (e.g. firewall-drop600)'))
    .option('--srcip <ip>', 'source IP for the alert')
    .option('--user <name>', 'user (data.dstuser) for the alert')
    .option('--alert <file>', 'a whole alert (JSON) to send, or - for stdin')
    .action(async (name: string, flags: HomeFlags) => remoteArRun(name, withClient(flags)));
  common(ar.command('history').description('executions with their outcomes, newest first'))
    .option('--limit <n>', 'how many', '50')
    .action(async (flags: HomeFlags & { limit: string }) => remoteArHistory(withClient(flags)));
}
