/**
 * Migration 3: `active_responses.delete_message` may be NULL, meaning "the add message with its one
 * `"command":"add"` pair made "delete"" (protocol/link-records.ts deleteLineOf). That is what execd
 * builds for every add it runs, so each active response stored one AR message (the whole alert)
 * twice; now the copy is left out and rebuilt on read (sqlite-rows.ts). A delete message that is
 * anything else is kept as text.
 *
 * SQLite cannot drop a NOT NULL constraint, so the table is rebuilt; existing rows are converted
 * with the same rule, decided in SQL: the pair occurs exactly once in the add message (counted in
 * bytes, as `replace` counts it) and the stored delete message equals the rewrite (binary
 * comparison). The agent-store contract suite checks the rule against deleteLineOf.
 */
export const migration0003 = {
  version: 3,
  name: 'derived-deletes',
  sql: `
CREATE TABLE active_responses_v3 (
  key            TEXT    NOT NULL PRIMARY KEY,
  ar_name        TEXT    NOT NULL,
  program        TEXT    NOT NULL,
  delete_message TEXT,
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
INSERT INTO active_responses_v3
  SELECT key, ar_name, program,
    CASE WHEN length(CAST(add_message AS BLOB))
                - length(CAST(replace(add_message, '"command":"add"', '') AS BLOB)) = 15
              AND delete_message = replace(add_message, '"command":"add"', '"command":"delete"')
         THEN NULL ELSE delete_message END,
    add_message, agent_id, created_at, added_at, timeout_sec, expires_at, repeat_count,
    alert_id, rule_id, srcip, user
  FROM active_responses;
DROP TABLE active_responses;
ALTER TABLE active_responses_v3 RENAME TO active_responses;
CREATE INDEX active_responses_expires_at ON active_responses (expires_at, key);
`,
} as const;
