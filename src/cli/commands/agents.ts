/**
 * `riposte agents add NAME | list | remove ID`: agent administration through the manager's REST
 * API (admin token for add/remove, read for list). Connection flags: --manager URL (or RIPOSTE_URL),
 * --token (or RIPOSTE_TOKEN), --ca FILE (or RIPOSTE_CA; the manager's etc/pki/ca.pem).
 */
import type { Command } from 'commander';
import type { ApiTimes } from '../../protocol/api-times.js';
import type { AgentInfo } from '../../protocol/fleet-records.js';
import { addOutputOptions, outputFormat, renderList, type ListSpec, type OutputFlags } from '../output.js';
import { remoteClient, type RemoteFlags } from '../remote-client.js';

function withRemote(cmd: Command): Command {
  return cmd
    .option(
      '--manager <address>',
      'manager: HOST[:PORT] (default port 1515) or https:// URL (default: $RIPOSTE_URL)',
    )
    .option('--token <token>', 'API token')
    .option('--ca <file>', "the manager's CA certificate (its etc/pki/ca.pem)");
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const AGENT_LIST: ListSpec<ApiTimes<AgentInfo>> = {
  header: ['ID', 'NAME', 'STATUS', 'ADDRESS', 'VERSION', 'LAST SEEN'],
  row: (a) => [a.id, a.name, a.status, a.address ?? '-', a.version ?? '-', a.lastSeen ?? '-'],
  empty: 'No agents enrolled (riposte agents add NAME makes an enrollment token).',
};

export function register(program: Command): void {
  const agents = program.command('agents').description('manage the agents enrolled with a manager');
  withRemote(agents.command('add <name>'))
    .description('create a one-time enrollment token for NAME')
    .option('--ttl <seconds>', 'token lifetime in seconds', '3600')
    .action(async (name: string, flags: RemoteFlags & { ttl: string }) => {
      const r = await remoteClient(flags).call<{ token: string; expiresAt: string }>(
        'POST',
        '/agents/tokens',
        {
          name,
          ttl: Number(flags.ttl),
        },
      );
      print(`token: ${r.token}`);
      print(`expires: ${r.expiresAt}`);
    });
  addOutputOptions(withRemote(agents.command('list')))
    .description('list agents with their connection state')
    .action(async (flags: RemoteFlags & OutputFlags) => {
      const format = outputFormat(flags);
      const r = await remoteClient(flags).call<{ items: ApiTimes<AgentInfo>[] }>('GET', '/agents');
      process.stdout.write(renderList(r.items, format, AGENT_LIST));
    });
  withRemote(agents.command('remove <id>'))
    .description('remove an agent: its certificate is refused from now on')
    .action(async (id: string, flags: RemoteFlags) => {
      const a = await remoteClient(flags).call<ApiTimes<AgentInfo>>(
        'DELETE',
        `/agents/${encodeURIComponent(id)}`,
      );
      print(`Agent ${a.id} ("${a.name}") removed.`);
    });
}
