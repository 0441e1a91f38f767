/**
 * `riposte ar history [--agent ID] [--limit N] [filters] [--follow]`: the executions a daemon
 * recorded, newest first, through its API (`GET /executions`, filters: history-filters.ts), then,
 * with `--follow`, each new one as it happens (follow-executions.ts).
 */
import { executionView, type ExecutionView } from '../../api/routes/views.js';
import type { ApiTimes } from '../../protocol/api-times.js';
import type { FleetExecution } from '../../protocol/fleet-records.js';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { anyFilter, historyFilters, matchesFilters, type HistoryFilterFlags } from '../history-filters.js';
import { jsonLines } from '../output.js';
import { ctxOf, formatExecutions, query, type RemoteArFlags } from './manager-ar.js';

export type ArHistoryFlags = RemoteArFlags &
  HistoryFilterFlags & { readonly limit?: string | undefined; readonly follow?: boolean | undefined };

/** `--limit`: 1 to 1000 (50 by default). @throws RiposteError REQUEST_INVALID */
function limitOf(text: string | undefined): number {
  const limit = Number(text ?? '50');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `--limit: "${String(text)}" is not an integer from 1 to 1000`,
    );
  }
  return limit;
}

export async function remoteArHistory(flags: ArHistoryFlags): Promise<void> {
  const c = ctxOf(flags);
  const limit = limitOf(flags.limit);
  const filters = historyFilters(flags, flags.now ?? Date.now());
  const follow = flags.follow === true;
  if (follow && filters.until !== undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, '--until cannot be used with --follow', {
      usage: true,
    });
  }
  const { items } = await c.client.call<{ items: ApiTimes<FleetExecution>[] }>(
    'GET',
    `/executions${query({ agent: c.agent, limit, ...filters })}`,
  );
  const views = items.map(executionView);
  if (c.json || views.length > 0) {
    c.out(c.json ? jsonLines(views) : formatExecutions(views, c.agent === undefined));
  } else if (!follow) {
    c.out(anyFilter(filters) ? 'No execution matches.\n' : 'No executions recorded yet.\n');
  }
  if (follow) {
    // Loaded when used: `ar list` and a plain `ar history` start faster (issue #9).
    const { followExecutions } = await import('../follow-executions.js');
    const keep = anyFilter(filters) ? (e: ExecutionView): boolean => matchesFilters(filters, e) : undefined;
    await followExecutions(c.client, c.agent, { json: c.json, out: c.out, keep });
  }
}
