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
import { deleteLineOf, type ReportedActive } from '../protocol/link-records.js';

/**
 * A row of `active_responses`, as better-sqlite3 returns it. `delete_message` is NULL when it is
 * the add message's derived delete line (deleteLineOf, migration 3): stored once, not twice.
 */
export interface ActiveRow {
  key: string;
  ar_name: string;
  program: string;
  delete_message: string | null;
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

/**
 * The delete message to store for `a`: NULL when deleteLineOf rebuilds it from the add message
 * (what execd builds for every add), else the text. Exact: NULL is read back as that same text.
 */
export function storedDeleteMessage(a: Pick<ActiveResponse, 'addMessage' | 'deleteMessage'>): string | null {
  return deleteLineOf(a.addMessage) === a.deleteMessage ? null : a.deleteMessage;
}

/**
 * The delete message of a row: its text, or the add message's delete line where NULL. A NULL
 * that cannot be rebuilt (only a hand-edited database has one) reads as '': its revert then fails
 * on the script's invalid input and is recorded, rather than the whole store failing to load.
 */
function deleteMessageOf(stored: string | null, addMessage: string): string {
  return stored ?? deleteLineOf(addMessage) ?? '';
}

/** An active row with `deleteMessage` as given (the full record, or a report's optional one). */
function activeWith<D>(r: ActiveRow, deleteMessage: D) {
  return {
    key: r.key,
    arName: r.ar_name,
    program: r.program,
    deleteMessage,
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

export function rowToActive(r: ActiveRow): ActiveResponse {
  return activeWith(r, deleteMessageOf(r.delete_message, r.add_message));
}

/**
 * A row as a link report carries it: the delete message left out (undefined) where it is derived,
 * for the manager to rebuild (welcome flag `derivedDeletes`), so that text is never built here.
 */
export function rowToReported(r: ActiveRow): ReportedActive {
  return activeWith(r, opt(r.delete_message));
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
  deleteMessage: string | null,
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

/** An active response's positional parameters, in ActiveTuple order (sqlite-statements.ts ACTIVE_COLUMNS). */
export function activeParams(a: ActiveResponse): ActiveTuple {
  return [
    a.key,
    a.arName,
    a.program,
    storedDeleteMessage(a),
    a.addMessage,
    a.agentId,
    a.createdAt,
    a.addedAt,
    a.timeoutSec,
    a.expiresAt,
    a.repeatCount,
    nul(a.alertId),
    nul(a.ruleId),
    nul(a.srcip),
    nul(a.user),
  ];
}

export function tupleToActive(t: ActiveTuple): ActiveResponse {
  const [key, arName, program, deleteMessage, addMessage, agentId, createdAt, addedAt] = t;
  const [, , , , , , , , timeoutSec, expiresAt, repeatCount, alertId, ruleId, srcip, user] = t;
  return {
    key,
    arName,
    program,
    deleteMessage: deleteMessageOf(deleteMessage, addMessage),
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
