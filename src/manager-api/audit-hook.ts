/**
 * Writes one audit entry per state-changing request once its response is sent, refused requests
 * included (those without a valid token up to a rate: anonymous-audit-limit.ts). Reads only the
 * method, path, status, token record and the agent ids named in the query or path: never the
 * Authorization header or the body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DaemonLog } from '../log/daemon-log.js';
import { type AuditEntry } from '../protocol/api-access.js';
import { type AuditLog } from '../core/api-access-store.js';
import { AUDITED_METHODS } from './audit.js';
import type { AuditPruner } from './audit-pruner.js';
import type { AnonymousAuditLimit, UnrecordedSummary } from './anonymous-audit-limit.js';

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

/** The warning for refused requests a window did not record one by one. */
export function unrecordedWarning(s: UnrecordedSummary): string {
  const top = s.top.map((t) => `${t.source} (${t.unrecorded})`).join(', ');
  return (
    `Audit: ${s.unrecorded} refused request(s) without a valid token in the ${Math.round(s.windowMs / 1000)} s ` +
    `from ${new Date(s.windowStart).toISOString()} were not recorded one by one (rate limit); most from ${top}.`
  );
}

export interface AuditHookOptions {
  readonly now: () => number;
  readonly log: DaemonLog;
  readonly pruner?: AuditPruner;
  /** Limits the entries of refused requests without a valid token (anonymous-audit-limit.ts). */
  readonly anonymous: AnonymousAuditLimit;
  /** Called for each refused anonymous request not recorded (a metric). */
  readonly onUnrecorded?: () => void;
}

/** Whether `entry` is written: always, unless it is a refused request without a valid token over the limit. */
function recorded(entry: AuditEntry, opts: AuditHookOptions): boolean {
  if (entry.tokenId !== undefined || entry.status < 400) {
    return true;
  }
  const { record, ended } = opts.anonymous.admit(entry.remote, entry.at);
  if (ended !== undefined) {
    opts.log.warn(unrecordedWarning(ended));
  }
  if (!record) {
    opts.onUnrecorded?.();
  }
  return record;
}

/**
 * Installs the hook. The response has already been sent when it runs, so a failing audit write
 * cannot change it: it is logged as an error. After an append, `pruner` deletes the entries past
 * their retention when a run is due (audit-pruner.ts), without holding the hook.
 */
export function installAudit(app: FastifyInstance, audit: AuditLog, opts: AuditHookOptions): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!AUDITED_METHODS.has(request.method)) {
      return;
    }
    const entry = auditEntry(request, reply.statusCode, opts.now());
    if (!recorded(entry, opts)) {
      return;
    }
    try {
      await audit.append(entry);
    } catch (err: unknown) {
      opts.log.error('audit write failed', { method: entry.method, path: entry.path, error: String(err) });
      return;
    }
    opts.pruner?.poke(entry.at);
  });
  app.addHook('onClose', async () => {
    const last = opts.anonymous.flush();
    if (last !== undefined) {
      opts.log.warn(unrecordedWarning(last));
    }
  });
}
