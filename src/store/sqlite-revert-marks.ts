/**
 * The revert marks on SQLite (`revert_marks`, migration 4): the manager's revert orders that found
 * nothing active on this agent (AgentStore.markRevertOrder). The agent store reads them with the
 * delete executions' order seqs (revertOrderAfter, maxOrderSeq) and forgets them with those
 * (forgetOrderSeqsAbove, forgetRevertMarks).
 *
 * Kept like the executions: about the newest `retention`, pruned every AUTO_PRUNE_EVERY marks by
 * id (a range delete, no OFFSET walk). A mark only matters while an add order created before it
 * may still arrive, i.e. within the manager's order TTL.
 */
import type Database from 'better-sqlite3';
import { AUTO_PRUNE_EVERY } from './store-options.js';

export class SqliteRevertMarks {
  private readonly insert: Database.Statement<[number, string, number]>;
  private readonly prune: Database.Statement<[number]>;
  private readonly above: Database.Statement<[string, number], number>;
  private readonly top: Database.Statement<[], number | null>;
  private readonly forgetAbove: Database.Statement<[number]>;

  constructor(
    db: Database.Database,
    private readonly retention: number,
  ) {
    // A redelivered revert order (the same seq) is one mark: the first one's time stays.
    this.insert = db.prepare('INSERT OR IGNORE INTO revert_marks (order_seq, key, at) VALUES (?, ?, ?)');
    this.prune = db.prepare('DELETE FROM revert_marks WHERE id <= (SELECT max(id) FROM revert_marks) - ?');
    // Through revert_marks_by_key: only the marks of that one key are read.
    this.above = db
      .prepare<[string, number], number>(
        'SELECT order_seq FROM revert_marks WHERE key = ? AND order_seq > ? ORDER BY order_seq DESC LIMIT 1',
      )
      .pluck();
    this.top = db.prepare<[], number | null>('SELECT max(order_seq) FROM revert_marks').pluck();
    this.forgetAbove = db.prepare('DELETE FROM revert_marks WHERE order_seq > ?');
  }

  record(key: string, seq: number, at: number): void {
    const { changes, lastInsertRowid } = this.insert.run(seq, key, at);
    if (changes > 0 && Number(lastInsertRowid) % AUTO_PRUNE_EVERY === 0) {
      this.prune.run(this.retention);
    }
  }

  /** The highest mark of `key` above `seq`, if any. */
  after(key: string, seq: number): number | undefined {
    return this.above.get(key, seq);
  }

  /** The highest marked seq; 0 when none. */
  max(): number {
    return this.top.get() ?? 0;
  }

  /** Deletes the marks of seqs above `seq` (0: all); returns how many. */
  forget(seq: number): number {
    return this.forgetAbove.run(seq).changes;
  }
}
