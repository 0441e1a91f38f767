/**
 * The agent store's history reads (AgentStore.listExecutions): newest first from an id, by key
 * (indexed), or with the operator's filters (ExecutionFilter: `riposte ar history --status ...` on
 * a bare agent), the same filters as the manager's history (sqlite-manager-console.ts).
 */
import type Database from 'better-sqlite3';
import type { ExecutionFilter, ExecutionQuery } from '../core/execd/agent-store.js';
import type { ExecutionRow } from './sqlite-rows.js';

interface ListParams {
  key?: string;
  before: number | null;
  limit: number;
}

/** A read with the operator's filters: null where a filter is not given. */
interface FilteredListParams {
  before: number | null;
  limit: number;
  key: string | null;
  status: string | null;
  command: string | null;
  /** "/" + command: the program's basename test. */
  slashCommand: string | null;
  alertId: string | null;
  since: number | null;
  until: number | null;
}

/** Prepares the history reads; the returned object lives as long as `db`. */
// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types -- the inferred statement types are the contract
export function prepareHistoryStatements(db: Database.Database) {
  return {
    listExecutions: db.prepare<ListParams, ExecutionRow>(
      'SELECT * FROM executions WHERE id < coalesce(@before, 9223372036854775807) ORDER BY id DESC LIMIT @limit',
    ),
    listExecutionsByKey: db.prepare<ListParams, ExecutionRow>(
      `SELECT * FROM executions WHERE key = @key AND id < coalesce(@before, 9223372036854775807)
       ORDER BY id DESC LIMIT @limit`,
    ),
    // A scan from the newest id (the history is pruned); the two reads above keep their indexes.
    // The basename test is by suffix, not LIKE (LIKE ignores ASCII case; names and program files
    // do not), as the manager's history does.
    listExecutionsFiltered: db.prepare<FilteredListParams, ExecutionRow>(
      `SELECT * FROM executions
        WHERE id < coalesce(@before, 9223372036854775807)
          AND (@key IS NULL OR key = @key)
          AND (@status IS NULL OR status = @status)
          AND (@command IS NULL OR ar_name = @command OR program = @command
               OR substr(program, -length(@slashCommand)) = @slashCommand)
          AND (@alertId IS NULL OR alert_id = @alertId)
          AND (@since IS NULL OR started_at >= @since)
          AND (@until IS NULL OR started_at <= @until)
        ORDER BY id DESC LIMIT @limit`,
    ),
  };
}

type HistoryStatements = ReturnType<typeof prepareHistoryStatements>;

/** True when a filter other than the key is given (the key alone has its own indexed read). */
function isFiltered(q: ExecutionFilter): boolean {
  return [q.status, q.command, q.alertId, q.since, q.until].some((v) => v !== undefined);
}

/** The rows `q` asks for, newest first, at most `limit`. */
export function executionRows(st: HistoryStatements, q: ExecutionQuery, limit: number): ExecutionRow[] {
  const before = q.beforeId ?? null;
  if (isFiltered(q)) {
    return st.listExecutionsFiltered.all({
      before,
      limit,
      key: q.key ?? null,
      status: q.status ?? null,
      command: q.command ?? null,
      slashCommand: q.command === undefined ? null : `/${q.command}`,
      alertId: q.alertId ?? null,
      since: q.since ?? null,
      until: q.until ?? null,
    });
  }
  return q.key === undefined
    ? st.listExecutions.all({ before, limit })
    : st.listExecutionsByKey.all({ key: q.key, before, limit });
}
