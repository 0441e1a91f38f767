/**
 * Writes one audit entry per state-changing request once its response is sent, refused requests
 * included. Reads only the method, path, status, token record and the agent ids named in the
 * query or path: never the Authorization header or the body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DaemonLog } from '../log/daemon-log.js';
import { type AuditEntry } from '../protocol/api-access.js';
import { type AuditLog } from '../core/api-access-store.js';
import { AUDITED_METHODS } from './audit.js';
import type { AuditPruner } from './audit-pruner.js';

function field(source: unknown, name: string): string | undefined {
  if (typeof source !== 'object' || source === null) {
    return undefined;
  }
  const v = (source as Record<string, unknown>)[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Agent ids the request targets: `agents_list` / `agent` query, or the `:id` of /agents/:id. */
function targetAgents(request: FastifyRequest): string | undefined {
  const fromQuery = field(request.query, 'agents_list') ?? field(request.query, 'agent');
  if (fromQuery !== undefined) {
    return fromQuery.slice(0, 1000);
  }
  return request.routeOptions.url === '/agents/:id' ? field(request.params, 'id') : undefined;
}

/** The audit entry for a finished request. */
export function auditEntry(request: FastifyRequest, status: number, at: number): AuditEntry {
  return {
    at,
    tokenId: request.auth?.id,
    tokenName: request.auth?.name,
    role: request.auth?.role,
    method: request.method,
    path: request.url.split('?', 1)[0]?.slice(0, 1000) ?? '',
    status,
    agents: targetAgents(request),
    remote: request.ip,
  };
}

/**
 * Installs the hook. The response has already been sent when it runs, so a failing audit write
 * cannot change it: it is logged as an error. After an append, `pruner` deletes the entries past
 * their retention when a run is due (audit-pruner.ts), without holding the hook.
 */
export function installAudit(
  app: FastifyInstance,
  audit: AuditLog,
  opts: { now: () => number; log: DaemonLog; pruner?: AuditPruner },
): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!AUDITED_METHODS.has(request.method)) {
      return;
    }
    const entry = auditEntry(request, reply.statusCode, opts.now());
    try {
      await audit.append(entry);
    } catch (err: unknown) {
      opts.log.error('audit write failed', { method: entry.method, path: entry.path, error: String(err) });
      return;
    }
    opts.pruner?.poke(entry.at);
  });
}
