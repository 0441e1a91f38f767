/**
 * Migration 4 of the manager's store: partial indexes over failed executions only, so the
 * console's "failing executions" and each agent's "last error" read the whole history without
 * scanning it. The WHERE term is the one sqlite-manager-console.ts's FAILED_SQL spells.
 */
export const managerMigration0004 = {
  version: 4,
  name: 'manager-failure-indexes',
  sql: `
CREATE INDEX executions_failed ON executions (n)
  WHERE json_extract(record, '$.status') IN ('failed', 'timed-out', 'spawn-error');
CREATE INDEX executions_failed_by_agent ON executions (agent_id, n)
  WHERE json_extract(record, '$.status') IN ('failed', 'timed-out', 'spawn-error');
`,
};
