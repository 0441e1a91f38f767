/**
 * Migration 1: the initial schema of the agent's durable store.
 *
 * Column conventions: times are epoch milliseconds (INTEGER), booleans are 0/1, optional fields are
 * NULL when absent. Never edit a released migration; add a new numbered file instead.
 */
export const migration0001 = {
  version: 1,
  name: 'init',
  sql: `
CREATE TABLE active_responses (
  key            TEXT    NOT NULL PRIMARY KEY,
  ar_name        TEXT    NOT NULL,
  program        TEXT    NOT NULL,
  delete_message TEXT    NOT NULL,
  add_message    TEXT    NOT NULL,
  agent_id       TEXT    NOT NULL,
  created_at     INTEGER NOT NULL,
  added_at       INTEGER NOT NULL,
  timeout_sec    INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  repeat_count   INTEGER NOT NULL,
  alert_id       TEXT,
  rule_id        INTEGER,
  srcip          TEXT,
  user           TEXT
);
CREATE INDEX active_responses_expires_at ON active_responses (expires_at, key);

CREATE TABLE offenders (
  key   TEXT    NOT NULL PRIMARY KEY,
  count INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE executions (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  key         TEXT,
  ar_name     TEXT    NOT NULL,
  program     TEXT    NOT NULL,
  action      TEXT    NOT NULL CHECK (action IN ('add', 'delete', 'abort', 'reapply')),
  agent_id    TEXT    NOT NULL,
  alert_id    TEXT,
  rule_id     INTEGER,
  srcip       TEXT,
  user        TEXT,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER,
  exit_code   INTEGER,
  signal      TEXT,
  timed_out   INTEGER NOT NULL DEFAULT 0,
  status      TEXT    NOT NULL DEFAULT 'running' CHECK (status IN ('ok', 'failed', 'timed-out', 'spawn-error', 'running')),
  stderr_tail TEXT    NOT NULL DEFAULT '',
  note        TEXT
);
CREATE INDEX executions_key ON executions (key, id);
CREATE INDEX executions_running ON executions (status) WHERE status = 'running';

CREATE TABLE settings (
  name  TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`,
} as const;
