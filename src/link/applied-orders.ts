/**
 * Which link orders an agent applied, kept durably in its store (three settings, applied-marks.ts):
 * a redelivered order is acked again, never run twice, and an order that arrives after a higher
 * one (several manager nodes) still runs, even after a thousand later ones (it is then missing).
 * The agent link session is the only writer; the marks are read once, then kept in memory.
 */
import type { AgentStore } from '../core/execd/agent-store.js';
import type { DaemonLog } from '../log/daemon-log.js';
import {
  MAX_APPLIED_ABOVE,
  MAX_MISSING,
  marksAfter,
  marksSettledThrough,
  readSeq,
  readSeqList,
  type AppliedMarks,
} from './applied-marks.js';
import { errorMessage } from '../protocol/error-message.js';

/** Agent store setting: every order seq <= this one was applied (or refused, or never comes). */
export const LAST_ORDER_SEQ_SETTING = 'last_order_seq';
/** Agent store setting: JSON list of applied seqs above LAST_ORDER_SEQ_SETTING (orders end and arrive out of order). */
export const APPLIED_ORDER_SEQS_SETTING = 'applied_order_seqs';
/** Agent store setting: JSON list of seqs at or below LAST_ORDER_SEQ_SETTING never applied (they still run if they come). */
export const MISSING_ORDER_SEQS_SETTING = 'missing_order_seqs';

export class AppliedOrders {
  private marks: AppliedMarks | undefined;

  constructor(
    private readonly store: AgentStore,
    private readonly log: DaemonLog,
  ) {}

  private current(): AppliedMarks {
    this.marks ??= {
      floor: readSeq(this.store.getSetting(LAST_ORDER_SEQ_SETTING)),
      above: readSeqList(this.store.getSetting(APPLIED_ORDER_SEQS_SETTING)),
      missing: readSeqList(this.store.getSetting(MISSING_ORDER_SEQS_SETTING)),
    };
    return this.marks;
  }

  /** Every seq at or below this one is settled (the hello's lastOrderSeq). */
  floor(): number {
    return this.current().floor;
  }

  has(seq: number): boolean {
    const { floor, above, missing } = this.current();
    return (seq <= floor && !missing.has(seq)) || above.has(seq);
  }

  /**
   * Records `seqs` as applied, in one store transaction, with the orders in `running` still
   * running: the floor moves up over the seqs applied in a row above it, the others are kept
   * (marksAfter), so the list stays as short as the number of orders in flight or still to come.
   * @throws when the store cannot take it (then nothing changed).
   */
  mark(seqs: readonly number[], running: Iterable<number>): void {
    const { marks, skipped, dropped } = marksAfter(this.current(), seqs, running);
    this.write(marks);
    if (skipped.length > 0) {
      this.log.warn(
        `Order seqs ${skipped[0]}..${skipped.at(-1)} (${skipped.length}) have not arrived; ${MAX_APPLIED_ABOVE} later orders did. They still run if they come.`,
      );
    }
    if (dropped.length > 0) {
      this.log.warn(
        `Order seqs ${dropped[0]}..${dropped.at(-1)} (${dropped.length}) never arrived; more than ${MAX_MISSING} orders are missing, so these count as settled.`,
      );
    }
  }

  /**
   * The manager's welcome said no order at or below `through` waits for this agent: the gaps left
   * by orders that never came (expired, cancelled) close. Best effort: if the store cannot take
   * it, the gaps stay open (the cap closes them later) and nothing else changes.
   */
  settleThrough(through: number): void {
    const before = this.current();
    const after = marksSettledThrough(before, through);
    if (after.floor === before.floor && after.missing === before.missing) {
      return;
    }
    try {
      this.write(after);
    } catch (err) {
      this.log.error(`Cannot record the orders settled through ${through}: ${errorMessage(err)}`);
    }
  }

  /**
   * Writes the marks (one transaction) and keeps them; the missing list only when it changed (it
   * is usually empty and unchanged). @throws when the store cannot take them.
   */
  private write(marks: AppliedMarks): void {
    const above = [...marks.above].sort((a, b) => a - b);
    const missingChanged = marks.missing !== this.current().missing;
    this.store.transaction(() => {
      this.store.setSetting(LAST_ORDER_SEQ_SETTING, String(marks.floor));
      this.store.setSetting(APPLIED_ORDER_SEQS_SETTING, JSON.stringify(above));
      if (missingChanged) {
        const missing = [...marks.missing].sort((a, b) => a - b);
        this.store.setSetting(MISSING_ORDER_SEQS_SETTING, JSON.stringify(missing));
      }
    });
    this.marks = marks;
  }
}
