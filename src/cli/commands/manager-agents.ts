/**
 * `riposte agents list|remove|add` against a manager's REST API (`--manager URL --token T`, or
 * RIPOSTE_URL / RIPOSTE_TOKEN). The command file (agents.ts) wires these to its verbs.
 * `add` creates a one-time enrollment token for `riposte agent enroll --token`.
 */
import type { AgentInfo } from '../../manager/manager-service.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { formatTable } from '../format-table.js';
import type { RemoteArFlags } from './manager-ar.js';
import { remoteClient, type RemoteClient } from '../remote-client.js';

export type RemoteAgentsFlags = Omit<RemoteArFlags, 'agent' | 'now'>;

const iso = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());

function setup(flags: RemoteAgentsFlags): { client: RemoteClient; out: (t: string) => void } {
  return {
    client: flags.client ?? remoteClient(flags),
    out: flags.out ?? ((text) => void process.stdout.write(text)),
  };
}

/** The agents table: ID, NAME, STATUS, LAST SEEN (ISO), VERSION, ADDRESS. */
export function formatAgents(items: readonly AgentInfo[]): string {
  const rows = items.map((a) => [
    a.id,
    a.name,
    a.status,
    iso(a.lastSeen),
    a.version ?? '-',
    a.address ?? '-',
  ]);
  return formatTable(['ID', 'NAME', 'STATUS', 'LAST SEEN', 'VERSION', 'ADDRESS'], rows);
}

/** `riposte agents list`: every enrolled agent and its link state. Role `read`. */
export async function remoteAgentsList(flags: RemoteAgentsFlags): Promise<void> {
  const { client, out } = setup(flags);
  const { items } = await client.call<{ items: AgentInfo[] }>('GET', '/agents');
  out(flags.json === true ? items.map((a) => `${JSON.stringify(a)}\n`).join('') : formatAgents(items));
}

/** `riposte agents remove ID`: disconnects the agent and refuses its certificate. Role `admin`. */
export async function remoteAgentsRemove(id: string, flags: RemoteAgentsFlags): Promise<void> {
  if (!/^\d{3,8}$/.test(id)) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `"${id}" is not an agent id (e.g. 001)`);
  }
  const { client, out } = setup(flags);
  const agent = await client.call<AgentInfo>('DELETE', `/agents/${id}`);
  out(flags.json === true ? `${JSON.stringify(agent)}\n` : `Agent ${agent.id} (${agent.name}) removed\n`);
}

/**
 * `riposte agents add NAME [--ttl SECONDS]`: a one-time enrollment token for NAME, printed once.
 * Role `admin`.
 */
export async function remoteAgentsAdd(
  name: string,
  flags: RemoteAgentsFlags & { readonly ttl?: string | undefined },
): Promise<void> {
  const ttl = flags.ttl === undefined ? undefined : Number(flags.ttl);
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1)) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `--ttl: "${String(flags.ttl)}" is not a positive number of seconds`,
    );
  }
  const { client, out } = setup(flags);
  const body = ttl === undefined ? { name } : { name, ttl };
  const r = await client.call<{ name: string; token: string; expiresAt: number }>(
    'POST',
    '/agents/tokens',
    body,
  );
  out(flags.json === true ? `${JSON.stringify(r)}\n` : `${r.token}\n`);
  if (flags.json !== true) {
    process.stderr.write(`One-time enrollment token for "${r.name}", valid until ${iso(r.expiresAt)}\n`);
  }
}
