/**
 * Migration 6 of the manager's store: indexes for enrollment at scale, the same as the PostgreSQL
 * store's version 4. The duplicate-name check (`activeAgentNamed`, case-insensitive among agents
 * not removed) and `nextAgentId`'s highest numeric id become index lookups instead of a scan of
 * every agent (5,000 enrollments were 5,000 scans of up to 5,000 rows).
 */
export const managerMigration0006 = {
  version: 6,
  name: 'manager-agent-lookups',
  sql: `
CREATE INDEX agents_by_lower_name ON agents (lower(name)) WHERE removed_at IS NULL;
CREATE INDEX agents_by_numeric_id ON agents (CAST(id AS INTEGER));
`,
};
