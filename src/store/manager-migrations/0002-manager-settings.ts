/**
 * Migration 2 of the manager's store: a key/value table for the manager's own small state, first
 * the alerts.json tail position, which is written in the same transaction as the orders of the
 * lines it covers (so a crash can neither replay nor skip an alert).
 */
/** The statements on that table (sqlite-manager-store.ts). */
export const SETTINGS_SQL = {
  get: 'SELECT value FROM settings WHERE key = ?',
  set: 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

export const managerMigration0002 = {
  version: 2,
  name: 'manager-settings',
  sql: `
CREATE TABLE settings (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
`,
};
