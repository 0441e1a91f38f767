/**
 * Migration 5 of the manager's store: named counters, first `agent_id` (nextAgentId in
 * sqlite-manager-store.ts), the same as the PostgreSQL store's version 2: the next id is a row
 * updated in place in one statement, so two store instances on one file never hand out the same
 * id (MAX(id) + 1 read by both before either inserted did).
 */
export const managerMigration0005 = {
  version: 5,
  name: 'manager-counters',
  sql: `
CREATE TABLE counters (
  name  TEXT    NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
);
`,
};
