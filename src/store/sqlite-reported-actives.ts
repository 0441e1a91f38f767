/**
 * The agent store's read of active rows for a link report (AgentStore.getReportedActives): the
 * delete message is left out where the manager rebuilds it (protocol/link-records.ts deleteLineOf,
 * welcome flag `derivedDeletes`), decided inside SQLite, so the left-out text is never copied into
 * a JS string (a report run reads up to 1,000 rows of two AR messages each).
 */
import type { ReportedActive } from '../protocol/link-records.js';
import { opt, type ActiveRow } from './sqlite-rows.js';

/** An `active_responses` row read for a report: `delete_message` NULL where derivable. */
export type ReportedActiveRow = Omit<ActiveRow, 'delete_message'> & { delete_message: string | null };

/**
 * deleteLineOf in SQL: NULL where delete_message is add_message with its one `"command":"add"`
 * pair made "delete". The pair is counted as replace() and the JS check both count it
 * (non-overlapping, from the left), in bytes (a NUL or multi-byte character is counted whole); the
 * comparison is binary, as `===` on the texts read back.
 */
export const REPORTED_ACTIVES_SQL = `SELECT key, ar_name, program,
    CASE WHEN length(CAST(add_message AS BLOB))
                - length(CAST(replace(add_message, '"command":"add"', '') AS BLOB)) = 15
              AND delete_message = replace(add_message, '"command":"add"', '"command":"delete"')
         THEN NULL ELSE delete_message END AS delete_message,
    add_message, agent_id, created_at, added_at, timeout_sec, expires_at, repeat_count,
    alert_id, rule_id, srcip, user
  FROM active_responses WHERE key IN (SELECT value FROM json_each(?))`;

/** A getReportedActives row as the report carries it (rowToActive's fields, in its order). */
export function rowToReported(r: ReportedActiveRow): ReportedActive {
  return {
    key: r.key,
    arName: r.ar_name,
    program: r.program,
    deleteMessage: opt(r.delete_message),
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
