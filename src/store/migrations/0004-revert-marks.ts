/**
 * Migration 4: `revert_marks`, the manager's revert orders that found nothing active on this agent
 * (AgentStore.markRevertOrder). Such an order leaves no delete execution to carry its seq, yet it
 * supersedes an add order of its key created before it and arriving after it (several manager
 * nodes: agent/execd/later-reverts.ts), as a revert that ran does. `id` orders them for pruning
 * (the executions' retention); `order_seq` is unique, a redelivered revert order is one mark.
 */
export const migration0004 = {
  version: 4,
  name: 'revert-marks',
  sql: `
CREATE TABLE revert_marks (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  order_seq INTEGER NOT NULL UNIQUE,
  key       TEXT    NOT NULL,
  at        INTEGER NOT NULL
);
CREATE INDEX revert_marks_by_key ON revert_marks (key, order_seq);
`,
};
