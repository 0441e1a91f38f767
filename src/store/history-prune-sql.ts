/**
 * The SQL of `pruneHistory` (ManagerStore) and `AuditLog.prune`, one text for both adapters: `p(1)`
 * is the cutoff (created / received / audited before it), `p(2)` the most rows one statement
 * deletes. SQLite writes its parameters `?` (each once, in order), PostgreSQL `$1`, `$2`. Oldest
 * first, through the created_at / received_at / at indexes; each agent's highest seq and
 * execution id are read through the primary key and the (agent_id, id) unique index, an active
 * response by its primary key.
 */

/** Orders nothing needs any more (the rules: ManagerStore.pruneHistory). */
export function pruneOrdersSql(p: (n: 1 | 2) => string): string {
  return `DELETE FROM orders WHERE (agent_id, seq) IN (
    SELECT o.agent_id, o.seq FROM orders o
      WHERE o.created_at < ${p(1)}
        AND o.state <> 'queued'
        AND NOT (o.kind = 'add' AND o.state = 'executed' AND o.key IS NOT NULL AND EXISTS (
          SELECT 1 FROM active a WHERE a.agent_id = o.agent_id AND a.key = o.key))
        AND o.seq < (SELECT MAX(m.seq) FROM orders m WHERE m.agent_id = o.agent_id)
      ORDER BY o.created_at LIMIT ${p(2)})`;
}

/** Execution reports older than the cutoff, but each agent's last one. */
export function pruneExecutionsSql(p: (n: 1 | 2) => string): string {
  return `DELETE FROM executions WHERE n IN (
    SELECT e.n FROM executions e
      WHERE e.received_at < ${p(1)}
        AND e.id < (SELECT MAX(m.id) FROM executions m WHERE m.agent_id = e.agent_id)
      ORDER BY e.received_at LIMIT ${p(2)})`;
}

/** API audit entries older than the cutoff, found by time (audit_log_by_at), deleted by key. */
export function pruneAuditSql(p: (n: 1 | 2) => string): string {
  return `DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE at < ${p(1)} ORDER BY at LIMIT ${p(2)})`;
}
