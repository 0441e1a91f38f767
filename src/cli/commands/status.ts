/**
 * `riposte status [--home DIR | --manager ADDR] [--output table|json]`: what a running daemon is
 * doing (issue #9 item 4): the daemon (pid, since, version), agents connected, active responses,
 * orders, the disk, and the last failed executions. Reads `GET /status`; a bare agent
 * (`riposte agent`) answers its own smaller status, printed the same way.
 */
import type { Command } from 'commander';
import type { DaemonStatus } from '../../manager-api/routes/health.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { localClient } from '../local-client.js';
import { addOutputOptions, outputFormat, type OutputFlags } from '../output.js';
import { isRemote, remoteClient, type RemoteClient, type RemoteFlags } from '../remote-client.js';
import { followLine } from '../follow-executions.js';
import { executionView } from '../../api/routes/views.js';
import type { ApiTimes } from '../../protocol/api-times.js';

interface StatusFlags extends RemoteFlags, OutputFlags {
  readonly home?: string;
}

/** A bare agent's `GET /status` (src/local/agent-verbs.ts). */
interface AgentStatus {
  readonly agentId: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly activeResponses: number;
}

/** The manager's `GET /status` as it arrives (ISO times). */
type DaemonStatusWire = ApiTimes<DaemonStatus>;

function clientOf(flags: StatusFlags): RemoteClient {
  if (isRemote(flags)) {
    return remoteClient(flags);
  }
  const home = flags.home ?? process.env['RIPOSTE_HOME'];
  if (home === undefined) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      'Give --home DIR (or set RIPOSTE_HOME), or --manager ADDRESS',
      {
        usage: true,
      },
    );
  }
  return localClient(home);
}

function isDaemonStatus(s: DaemonStatusWire | AgentStatus): s is DaemonStatusWire {
  return 'daemon' in s;
}

/** The text `riposte status` prints. */
export function formatStatus(s: DaemonStatusWire | AgentStatus): string {
  if (!isDaemonStatus(s)) {
    return (
      `daemon:      agent ${s.agentId}, pid ${s.pid}, since ${s.startedAt}\n` +
      `active:      ${s.activeResponses} active response(s)\n`
    );
  }
  const orders = Object.entries(s.orders)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const lines = [
    `daemon:      riposte ${s.daemon.version}, pid ${s.daemon.pid}, since ${s.daemon.startedAt}`,
    `agents:      ${s.agents.connected} connected of ${s.agents.total}`,
    `active:      ${s.activeResponses} active response(s)`,
    `orders:      ${orders === '' ? 'none' : orders}`,
    `disk:        ${s.disk.full ? `FULL since ${s.disk.fullSince ?? '?'}` : 'ok'}`,
    `last errors: ${s.lastErrors.length === 0 ? 'none' : ''}`,
    ...s.lastErrors.map((e) => `  ${followLine(executionView(e))}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  addOutputOptions(
    program
      .command('status')
      .description('what a running daemon is doing: agents, active responses, last errors')
      .option('--home <dir>', 'a local daemon home (default: $RIPOSTE_HOME)')
      .option(
        '--manager <address>',
        'a manager: HOST[:PORT] (default port 1515) or https:// URL (default: $RIPOSTE_URL)',
      )
      .option('--token <token>', 'API token for --manager (default: $RIPOSTE_TOKEN)')
      .option('--ca <file>', "the manager's CA certificate to pin (default: $RIPOSTE_CA)"),
  ).action(async (flags: StatusFlags) => {
    const format = outputFormat(flags);
    const s = await clientOf(flags).call<DaemonStatusWire | AgentStatus>('GET', '/status');
    process.stdout.write(format === 'json' ? `${JSON.stringify(s)}\n` : formatStatus(s));
  });
}
