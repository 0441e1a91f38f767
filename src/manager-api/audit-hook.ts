/**
 * Writes exactly one audit entry per state-changing request, refused requests included (those
 * without a valid token up to a rate: anonymous-audit-limit.ts): once its response is sent, with
 * its status; or, when its client closes the connection before that, with CLIENT_CLOSED_STATUS as
 * soon as both the client is gone and the request has been authenticated (or refused), so the entry
 * names the token whatever the handler then does. Reads only the method, path, status, token record
 * and the agent ids named in the query or path: never the Authorization header or the body.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DaemonLog } from '../log/daemon-log.js';
import { type AuditEntry } from '../protocol/api-access.js';
import { type AuditLog } from '../core/api-access-store.js';
import { AUDITED_METHODS } from './audit.js';
import type { AuditPruner } from './audit-pruner.js';
import type { AnonymousAuditLimit, UnrecordedSummary } from './anonymous-audit-limit.js';

/**
 * The status recorded for a request whose client closed its connection before the response was
 * sent (nginx's "client closed request"). Its handler may still have run, or run after the entry
 * was written: what it did is what the state shows. (A request aborted mid-handler is not
 * stopped.)
 */
export const CLIENT_CLOSED_STATUS = 499;

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

/** Appends `entry` (if recorded); a failed write is logged: no response can carry it any more. */
async function write(entry: AuditEntry, audit: AuditLog, opts: AuditHookOptions): Promise<void> {
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
}

/** Whether the response was cut off: its connection closed before it was all handed over. */
function clientGone(reply: FastifyReply): boolean {
  return !reply.raw.writableFinished && (reply.raw.closed || reply.request.raw.socket.destroyed);
}

/**
 * Installs the hooks. `onResponse` (the response sent) writes the entry with the response's
 * status. A request whose client leaves first never reaches `onResponse`: its entry is written
 * with CLIENT_CLOSED_STATUS by the first of: the watch set up once the request is authenticated
 * (`onRequest`, after auth.ts's hook) or refused (`onSend`) finding the connection already closed,
 * or its response's 'close' before it finished. `written` makes it one entry per request. After an
 * append, `pruner` deletes the entries past their retention when a run is due (audit-pruner.ts),
 * without holding the hook.
 */
export function installAudit(app: FastifyInstance, audit: AuditLog, opts: AuditHookOptions): void {
  const written = new WeakSet<FastifyRequest>();
  const watched = new WeakSet<FastifyRequest>();
  const once = async (request: FastifyRequest, status: number): Promise<void> => {
    if (written.has(request)) {
      return;
    }
    written.add(request);
    await write(auditEntry(request, status, opts.now()), audit, opts);
  };
  const watch = (request: FastifyRequest, reply: FastifyReply): void => {
    if (!AUDITED_METHODS.has(request.method) || watched.has(request)) {
      return;
    }
    watched.add(request);
    if (clientGone(reply)) {
      void once(request, CLIENT_CLOSED_STATUS);
      return;
    }
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) {
        void once(request, CLIENT_CLOSED_STATUS);
      }
    });
  };
  app.addHook('onRequest', async (request, reply) => {
    watch(request, reply);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    watch(request, reply);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (AUDITED_METHODS.has(request.method)) {
      await once(request, reply.statusCode);
    }
  });
  app.addHook('onClose', async () => {
    const last = opts.anonymous.flush();
    if (last !== undefined) {
      opts.log.warn(unrecordedWarning(last));
    }
  });
}
