/**
 * Migration 1 of the manager's store (`<home>/var/manager.db`). Times are epoch ms; booleans 0/1;
 * execution records and active responses are kept as the JSON the agent reported (the manager
 * filters them in memory), with the columns it queries on pulled out.
 */
export const managerMigration0001 = {
  version: 1,
  name: 'manager-init',
  sql: `
CREATE TABLE agents (
  id            TEXT    NOT NULL PRIMARY KEY,
  name          TEXT    NOT NULL,
  fingerprint   TEXT    NOT NULL UNIQUE,
  registered_at INTEGER NOT NULL,
  removed_at    INTEGER,
  last_seen     INTEGER,
  version       TEXT,
  address       TEXT,
  ar_disabled   INTEGER NOT NULL DEFAULT 0,
  last_seq      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE enroll_tokens (
  hash       TEXT    NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE TABLE orders (
  agent_id     TEXT    NOT NULL,
  seq          INTEGER NOT NULL,
  kind         TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  ar_name      TEXT,
  key          TEXT,
  alert_id     TEXT,
  payload      TEXT    NOT NULL,
  state        TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  delivered_at INTEGER,
  executed_at  INTEGER,
  reverted_at  INTEGER,
  expired_at   INTEGER,
  outcome      TEXT,
  execution_id INTEGER,
  note         TEXT,
  PRIMARY KEY (agent_id, seq)
);
CREATE INDEX orders_by_state ON orders (state, expires_at);
CREATE INDEX orders_by_key ON orders (agent_id, key);
CREATE TABLE executions (
  n           INTEGER PRIMARY KEY AUTOINCREMENT,
  agent_id    TEXT    NOT NULL,
  id          INTEGER NOT NULL,
  order_seq   INTEGER,
  received_at INTEGER NOT NULL,
  record      TEXT    NOT NULL,
  UNIQUE (agent_id, id)
);
CREATE TABLE active (
  agent_id    TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  reported_at INTEGER NOT NULL,
  record      TEXT    NOT NULL,
  PRIMARY KEY (agent_id, key)
);
`,
};
