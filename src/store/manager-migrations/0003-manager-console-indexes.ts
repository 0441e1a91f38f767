/**
 * Migration 3 of the manager's store: indexes for the console's reads over the whole history:
 * executions by the time the manager received them (per-minute counts over 24 h), orders by
 * creation time (the alerts recent orders came from).
 */
export const managerMigration0003 = {
  version: 3,
  name: 'manager-console-indexes',
  sql: `
CREATE INDEX executions_by_received ON executions (received_at);
CREATE INDEX orders_by_created ON orders (created_at);
`,
};
