/**
 * Conversion between the store's records and SQLite rows. Optional fields are stored as NULL and
 * read back as `undefined`; booleans are 0/1. Pure functions, no database access.
 */
import type {
  ActiveResponse,
  ExecutionAction,
  ExecutionRecord,
  ExecutionStatus,
} from '../protocol/execution-records.js';

/** A row of `active_responses`, as better-sqlite3 returns it. */
export interface ActiveRow {
  key: string;
  ar_name: string;
  program: string;
  delete_message: string;
  add_message: string;
  agent_id: string;
  created_at: number;
  added_at: number;
  timeout_sec: number;
  expires_at: number;
  repeat_count: number;
  alert_id: string | null;
  rule_id: number | null;
  srcip: string | null;
  user: string | null;
}

/** A row of `executions`, as better-sqlite3 returns it. */
export interface ExecutionRow {
  id: number;
  key: string | null;
  ar_name: string;
  program: string;
  action: string;
  agent_id: string;
  alert_id: string | null;
  rule_id: number | null;
  srcip: string | null;
  user: string | null;
  started_at: number;
  ended_at: number | null;
  exit_code: number | null;
  signal: string | null;
  timed_out: number;
  status: string;
  stderr_tail: string;
  note: string | null;
  /** The manager order an add came from (migration 2). */
  order_seq: number | null;
}

/** NULL → undefined. */
export function opt<T>(v: T | null): T | undefined {
  return v === null ? undefined : v;
}

/** undefined → NULL, for binding. */
export function nul<T>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}

export function rowToActive(r: ActiveRow): ActiveResponse {
  return {
    key: r.key,
    arName: r.ar_name,
    program: r.program,
    deleteMessage: r.delete_message,
    addMessage: r.add_message,
    agentId: r.agent_id,
    createdAt: r.created_at,
    addedAt: r.added_at,
    timeoutSec: r.timeout_sec,
    expiresAt: r.expires_at,
    repeatCount: r.repeat_count,
    alertId: opt(r.alert_id),
    ruleId: opt(r.rule_id),
    srcip: opt(r.srcip),
    user: opt(r.user),
  };
}

/**
 * An `active_responses` row in ACTIVE_COLUMNS order (sqlite-statements.ts), as returned by a raw
 * statement. `listActive` reads tuples: at 100,000 rows that halves the re-arm time at agent start
 * compared with one intermediate object per row.
 */
export type ActiveTuple = [
  key: string,
  arName: string,
  program: string,
  deleteMessage: string,
  addMessage: string,
  agentId: string,
  createdAt: number,
  addedAt: number,
  timeoutSec: number,
  expiresAt: number,
  repeatCount: number,
  alertId: string | null,
  ruleId: number | null,
  srcip: string | null,
  user: string | null,
];

export function tupleToActive(t: ActiveTuple): ActiveResponse {
  const [key, arName, program, deleteMessage, addMessage, agentId, createdAt, addedAt] = t;
  const [, , , , , , , , timeoutSec, expiresAt, repeatCount, alertId, ruleId, srcip, user] = t;
  return {
    key,
    arName,
    program,
    deleteMessage,
    addMessage,
    agentId,
    createdAt,
    addedAt,
    timeoutSec,
    expiresAt,
    repeatCount,
    alertId: opt(alertId),
    ruleId: opt(ruleId),
    srcip: opt(srcip),
    user: opt(user),
  };
}

export function rowToExecution(r: ExecutionRow): ExecutionRecord {
  return {
    id: r.id,
    key: opt(r.key),
    arName: r.ar_name,
    program: r.program,
    // The CHECK constraints of migration 0001 guarantee these two casts.
    action: r.action as ExecutionAction,
    agentId: r.agent_id,
    alertId: opt(r.alert_id),
    ruleId: opt(r.rule_id),
    srcip: opt(r.srcip),
    user: opt(r.user),
    startedAt: r.started_at,
    endedAt: opt(r.ended_at),
    exitCode: opt(r.exit_code),
    signal: opt(r.signal),
    timedOut: r.timed_out !== 0,
    status: r.status as ExecutionStatus,
    stderrTail: r.stderr_tail,
    note: opt(r.note),
  };
}
