/**
 * Every SQL statement the SQLite agent store runs, prepared once per open database.
 * Named parameters match the column names in sqlite-rows.ts; the statements every execution runs
 * (insertExecution, endExecution, putActive) take positional ones, in the order of their columns.
 */
import type Database from 'better-sqlite3';
import { prepareHistoryStatements } from './sqlite-execution-filter.js';
import type { ExecutionEnd, ExecutionStart } from '../protocol/execution-records.js';
import { nul, type ActiveRow, type ActiveTuple, type ExecutionRow } from './sqlite-rows.js';

const ACTIVE_COLUMNS = [
  'key',
  'ar_name',
  'program',
  'delete_message',
  'add_message',
  'agent_id',
  'created_at',
  'added_at',
  'timeout_sec',
  'expires_at',
  'repeat_count',
  'alert_id',
  'rule_id',
  'srcip',
  'user',
] as const;

const EXECUTION_START_COLUMNS = [
  'key',
  'ar_name',
  'program',
  'action',
  'agent_id',
  'alert_id',
  'rule_id',
  'srcip',
  'user',
  'started_at',
  'order_seq',
] as const;

/** Positional parameters of `insertExecution`, in EXECUTION_START_COLUMNS order. */
export type ExecutionStartTuple = [
  key: ExecutionRow['key'],
  ar_name: ExecutionRow['ar_name'],
  program: ExecutionRow['program'],
  action: ExecutionRow['action'],
  agent_id: ExecutionRow['agent_id'],
  alert_id: ExecutionRow['alert_id'],
  rule_id: ExecutionRow['rule_id'],
  srcip: ExecutionRow['srcip'],
  user: ExecutionRow['user'],
  started_at: ExecutionRow['started_at'],
  order_seq: ExecutionRow['order_seq'],
];

/** Rows of one multi-row start INSERT (11 parameters each: far below SQLite's variable limit). */
export const START_ROWS_PER_INSERT = 64;

/** Rows of one multi-row active-response INSERT (15 parameters each: 960 per statement). */
export const ACTIVE_ROWS_PER_INSERT = 64;

/** A start record's positional parameters, in EXECUTION_START_COLUMNS order. */
export function startParams(s: ExecutionStart): ExecutionStartTuple {
  return [
    nul(s.key),
    s.arName,
    s.program,
    s.action,
    s.agentId,
    nul(s.alertId),
    nul(s.ruleId),
    nul(s.srcip),
    nul(s.user),
    s.startedAt,
    s.orderSeq ?? null,
  ];
}

/** Positional parameters of `endExecution`; `key`/`action` NULL means "keep the stored value". */
export type ExecutionEndTuple = [
  key: ExecutionRow['key'],
  action: string | null,
  ended_at: number,
  exit_code: ExecutionRow['exit_code'],
  signal: ExecutionRow['signal'],
  timed_out: ExecutionRow['timed_out'],
  status: ExecutionRow['status'],
  stderr_tail: ExecutionRow['stderr_tail'],
  note: ExecutionRow['note'],
  id: ExecutionRow['id'],
];

/**
 * Positional parameters of the end statements that keep the stored key and action (an end whose
 * `key` and `action` are undefined): they do not SET those columns, so SQLite leaves the
 * executions_key index entry alone (SET key = coalesce(NULL, key) rewrites it: ~2x the cost).
 */
export type ExecutionEndOnlyTuple = [
  ended_at: number,
  exit_code: ExecutionRow['exit_code'],
  signal: ExecutionRow['signal'],
  timed_out: ExecutionRow['timed_out'],
  status: ExecutionRow['status'],
  stderr_tail: ExecutionRow['stderr_tail'],
  note: ExecutionRow['note'],
];

const END_ONLY_SET =
  'ended_at = ?, exit_code = ?, signal = ?, timed_out = ?, status = ?, stderr_tail = ?, note = ?';

/** The end columns of an execution row. */
export function endParams(end: ExecutionEnd): Omit<ExecutionEndRow, 'id'> {
  return {
    key: nul(end.key),
    action: nul(end.action),
    ended_at: end.endedAt,
    exit_code: nul(end.exitCode),
    signal: nul(end.signal),
    timed_out: end.timedOut ? 1 : 0,
    status: end.status,
    stderr_tail: end.stderrTail,
    note: nul(end.note),
  };
}

/** The end columns of an end that keeps the stored key and action, positional. */
export function endOnly(end: ExecutionEnd): ExecutionEndOnlyTuple {
  return [
    end.endedAt,
    nul(end.exitCode),
    nul(end.signal),
    end.timedOut ? 1 : 0,
    end.status,
    end.stderrTail,
    nul(end.note),
  ];
}

/** Named parameters of the bulk end statements; `key`/`action` NULL means "keep the stored value". */
export type ExecutionEndRow = Pick<
  ExecutionRow,
  'id' | 'key' | 'ended_at' | 'exit_code' | 'signal' | 'timed_out' | 'status' | 'stderr_tail' | 'note'
> & { action: string | null };

/** The reads of the manager link's reports (link/report-cursor.ts): id and key lists as JSON arrays. */
function prepareLinkStatements(db: Database.Database) {
  return {
    // LEFT JOIN driven by the array, ordered by its index: one entry per key, NULL where none.
    programsOf: db
      .prepare<[string], string | null>(
        `SELECT a.program FROM json_each(?) AS j LEFT JOIN active_responses AS a ON a.key = j.value
         ORDER BY j.key`,
      )
      .pluck(true),
    getActives: db.prepare<[string], ActiveRow>(
      'SELECT * FROM active_responses WHERE key IN (SELECT value FROM json_each(?))',
    ),
    getExecutions: db.prepare<[string], ExecutionRow>(
      'SELECT * FROM executions WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id',
    ),
    listEndedExecutionsAfter: db.prepare<[number, number], ExecutionRow>(
      "SELECT * FROM executions WHERE id > ? AND status <> 'running' ORDER BY id LIMIT ?",
    ),
    runningExecutionIds: db
      .prepare<[number, number], number>(
        "SELECT id FROM executions WHERE id > ? AND id <= ? AND status = 'running' ORDER BY id",
      )
      .pluck(),
    // Down the executions_order_seq index from the top: the first row with an id above the bound
    // (`afterId`, AgentStore.maxOrderSeq) answers; with none (0) the very first one does.
    maxOrderSeq: db
      .prepare<[number], number>(
        `SELECT order_seq FROM executions WHERE order_seq IS NOT NULL AND id > ?
         ORDER BY order_seq DESC LIMIT 1`,
      )
      .pluck(),
    // Through the executions_key index: only the executions of that one key are read.
    revertOrderAfter: db
      .prepare<[string, number, number], number>(
        `SELECT order_seq FROM executions
         WHERE key = ? AND action = 'delete' AND order_seq > ? AND id > ?
         ORDER BY order_seq DESC LIMIT 1`,
      )
      .pluck(),
    orderSeqsOf: db.prepare<[string], { id: number; order_seq: number }>(
      `SELECT id, order_seq FROM executions
       WHERE id IN (SELECT value FROM json_each(?)) AND order_seq IS NOT NULL`,
    ),
    forgetOrderSeqsAbove: db.prepare<[number]>(
      'UPDATE executions SET order_seq = NULL WHERE order_seq IS NOT NULL AND order_seq > ?',
    ),
  };
}

/** The statements of the bulk re-apply (a reboot): keys and ids go in as one JSON array each. */
function prepareBulkStatements(db: Database.Database) {
  return {
    startReapplies: db
      .prepare<[number, string, string], [number, string, string]>(
        `INSERT INTO executions (key, ar_name, program, action, agent_id, alert_id, rule_id, srcip, user, started_at)
         SELECT a.key, a.ar_name, a.program, 'reapply', a.agent_id, a.alert_id, a.rule_id, a.srcip, a.user, ?
         FROM json_each(?) AS j JOIN active_responses AS a ON a.key = j.value
         WHERE a.program IN (SELECT value FROM json_each(?))
         RETURNING id, key, program`,
      )
      .raw(true),
    // One string per target, not one row array (3x cheaper at 100,000): `<program index> <key>` when
    // its extra_args is the empty list (the common case; nothing parsed), else `x` + a JSON array
    // [program index, key, extra_args as JSON text or null] (parsed by SQLite, then in JS).
    reapplyTargets: db
      .prepare<[string, string], string>(
        `SELECT CASE WHEN instr(a.add_message, '"extra_args":[]') > 0 THEN p.key || ' ' || a.key
                ELSE 'x' || json_array(p.key, a.key, CASE WHEN json_valid(a.add_message)
                        THEN json_extract(a.add_message, '$.parameters.extra_args') || '' END) END
         FROM json_each(?) AS j JOIN active_responses AS a ON a.key = j.value
         JOIN json_each(?) AS p ON p.value = a.program`,
      )
      .pluck(true),
    recordReapplies: db.prepare<Omit<ExecutionEndRow, 'id'> & { keys: string; started_at: number }>(
      `INSERT INTO executions (key, ar_name, program, action, agent_id, alert_id, rule_id, srcip, user,
                                 started_at, ended_at, exit_code, signal, timed_out, status, stderr_tail, note)
         SELECT a.key, a.ar_name, a.program, 'reapply', a.agent_id, a.alert_id, a.rule_id, a.srcip, a.user,
                @started_at, @ended_at, @exit_code, @signal, @timed_out, @status, @stderr_tail, @note
         FROM json_each(@keys) AS j JOIN active_responses AS a ON a.key = j.value`,
    ),
    endExecutions: db.prepare<Omit<ExecutionEndRow, 'id'> & { ids: string }>(
      `UPDATE executions SET key = coalesce(@key, key), action = coalesce(@action, action),
         ended_at = @ended_at, exit_code = @exit_code, signal = @signal, timed_out = @timed_out,
         status = @status, stderr_tail = @stderr_tail, note = @note
       WHERE id IN (SELECT value FROM json_each(@ids))`,
    ),
    // The same when the end keeps the stored key and action (see endExecutionOnly).
    endExecutionsOnly: db.prepare<[...ExecutionEndOnlyTuple, string]>(
      `UPDATE executions SET ${END_ONLY_SET} WHERE id IN (SELECT value FROM json_each(?))`,
    ),
  };
}

/** `?, ?, ...`, one per column (the column lists are constants, never input). */
function marks(columns: readonly string[]): string {
  return columns.map(() => '?').join(', ');
}

/**
 * The statements every execution runs (a burst runs them 10,000 times): positional parameters in
 * the order of ACTIVE_COLUMNS (= ActiveTuple), EXECUTION_START_COLUMNS and ExecutionEndTuple, so no
 * parameter object per execution is built and looked up by name (named binding measured ~1.5x).
 */
function prepareHotStatements(db: Database.Database) {
  return {
    putActive: db.prepare<ActiveTuple>(
      `INSERT OR REPLACE INTO active_responses (${ACTIVE_COLUMNS.join(', ')}) VALUES (${marks(ACTIVE_COLUMNS)})`,
    ),
    // ACTIVE_ROWS_PER_INSERT rows per statement: a batch's active responses. Rows are inserted in
    // order, so of two rows with one key in a statement the later replaces the earlier.
    // Bound with one array per row (better-sqlite3 flattens array arguments in order).
    putActives: db.prepare<ActiveTuple[]>(
      `INSERT OR REPLACE INTO active_responses (${ACTIVE_COLUMNS.join(', ')}) VALUES ${Array.from(
        { length: ACTIVE_ROWS_PER_INSERT },
        () => `(${marks(ACTIVE_COLUMNS)})`,
      ).join(', ')}`,
    ),
    insertExecution: db.prepare<ExecutionStartTuple>(
      `INSERT INTO executions (${EXECUTION_START_COLUMNS.join(', ')}) VALUES (${marks(EXECUTION_START_COLUMNS)})`,
    ),
    // START_ROWS_PER_INSERT rows per statement: a batch's start records (~1.5x cheaper per row).
    insertExecutions: db.prepare<ExecutionStartTuple[]>(
      `INSERT INTO executions (${EXECUTION_START_COLUMNS.join(', ')}) VALUES ${Array.from(
        { length: START_ROWS_PER_INSERT },
        () => `(${marks(EXECUTION_START_COLUMNS)})`,
      ).join(', ')}`,
    ),
    endExecution: db.prepare<ExecutionEndTuple>(
      `UPDATE executions SET key = coalesce(?, key), action = coalesce(?, action),
         ended_at = ?, exit_code = ?, signal = ?, timed_out = ?, status = ?, stderr_tail = ?, note = ?
       WHERE id = ?`,
    ),
    endExecutionOnly: db.prepare<[...ExecutionEndOnlyTuple, number]>(
      `UPDATE executions SET ${END_ONLY_SET} WHERE id = ?`,
    ),
    // One statement per counted offence: the count after it (the count before is one less).
    countOffence: db
      .prepare<[string], number>(
        'INSERT INTO offenders (key, count) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count',
      )
      .pluck(),
  };
}

/** Prepares all statements; the returned object lives as long as `db`. */
// eslint-disable-next-line @typescript-eslint/explicit-module-boundary-types -- the inferred statement types are the contract
export function prepareStatements(db: Database.Database) {
  return {
    getActive: db.prepare<[string], ActiveRow>('SELECT * FROM active_responses WHERE key = ?'),
    removeActive: db.prepare<[string], ActiveRow>('DELETE FROM active_responses WHERE key = ? RETURNING *'),
    deleteActive: db.prepare<[string]>('DELETE FROM active_responses WHERE key = ?'),
    listActive: db
      .prepare<[], ActiveTuple>(
        `SELECT ${ACTIVE_COLUMNS.join(', ')} FROM active_responses ORDER BY expires_at, key`,
      )
      .raw(true),
    countActive: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM active_responses'),
    listDeadlineKeys: db
      .prepare<[], string>('SELECT key FROM active_responses ORDER BY expires_at, key')
      .pluck(),
    listDeadlineTimes: db
      .prepare<[], number>('SELECT expires_at FROM active_responses ORDER BY expires_at, key')
      .pluck(),
    getOffender: db.prepare<[string], { count: number }>('SELECT count FROM offenders WHERE key = ?'),
    setOffender: db.prepare<[string, number]>(
      'INSERT INTO offenders (key, count) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET count = excluded.count',
    ),
    ...prepareHotStatements(db),
    orderExecution: db.prepare<[number, number], Pick<ExecutionRow, 'id' | 'key' | 'status' | 'note'>>(
      'SELECT id, key, status, note FROM executions WHERE order_seq = ? AND id > ? ORDER BY id DESC LIMIT 1',
    ),
    setExecutionKey: db.prepare<[string, number]>('UPDATE executions SET key = ? WHERE id = ?'),
    ...prepareBulkStatements(db),
    getExecution: db.prepare<[number], ExecutionRow>('SELECT * FROM executions WHERE id = ?'),
    ...prepareLinkStatements(db),
    ...prepareHistoryStatements(db),
    listRunning: db
      .prepare<[], [number, string | null, string]>(
        "SELECT id, key, action FROM executions WHERE status = 'running' ORDER BY id",
      )
      .raw(true),
    failRunning: db.prepare<[number]>(
      "UPDATE executions SET status = 'failed', ended_at = ?, note = 'interrupted' WHERE status = 'running'",
    ),
    pruneExecutions: db.prepare<[number]>(
      'DELETE FROM executions WHERE id <= (SELECT id FROM executions ORDER BY id DESC LIMIT 1 OFFSET ?)',
    ),
    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE name = ?'),
    setSetting: db.prepare<[string, string]>(
      'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
