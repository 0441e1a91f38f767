/**
 * Migration 2: the manager order an add execution came from (`order_seq`, NULL for execq, CLI and
 * API runs on a bare agent). Written with the start record, so after a kill -9 the agent knows a
 * redelivered order was already taken in and decided, and does not run it (and count a repeat
 * offence) a second time (issue 13, finding 4).
 */
export const migration0002 = {
  version: 2,
  name: 'order-seq',
  sql: `
ALTER TABLE executions ADD COLUMN order_seq INTEGER;
CREATE INDEX executions_order_seq ON executions (order_seq) WHERE order_seq IS NOT NULL;
`,
};
