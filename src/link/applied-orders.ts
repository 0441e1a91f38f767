/**
 * Which link orders an agent applied, kept durably in its store (three settings, applied-marks.ts):
 * a redelivered order is acked again, never run twice, and an order that arrives after a higher
 * one (several manager nodes) still runs, even after a thousand later ones (it is then missing).
 * The agent link session is the only writer; the marks are read once, then kept in memory.
 *
 * Seqs are numbered per agent id, so the marks belong to one (ORDERS_AGENT_ID_SETTING: the id the
 * manager's welcome names, with the CA of the enrollment): a home enrolled again (`riposte agent
 * enroll`: a new id, or the same one from another CA, whose seqs start again at 1) starts with no
 * seq applied, and the executions recorded before are left out of the order look-ups and of the
 * reports (ORDERS_AFTER_EXECUTION_SETTING; see adopt). A manager whose store is older than the
 * marks says so in its welcome, and the marks above its numbering go (cutAbove).
 */
import {
  ORDERS_AFTER_EXECUTION_SETTING,
  ordersAfterExecution,
  type AgentStore,
} from '../core/execd/agent-store.js';
import type { DaemonLog } from '../log/daemon-log.js';
import {
  MAX_APPLIED_ABOVE,
  MAX_MISSING,
  marksAfter,
  marksCutAt,
  marksSettledThrough,
  marksTop,
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
/** Agent store setting: the agent id whose order seqs the three settings above count. */
export const ORDERS_AGENT_ID_SETTING = 'orders_agent_id';
export { ORDERS_AFTER_EXECUTION_SETTING };

const NO_MARKS: AppliedMarks = { floor: 0, above: new Set(), missing: new Set() };

/**
 * Whom the marks belong to: the agent id, and the CA of the enrollment when known (an agent
 * enrolled with a manager installed anew can get the same id from another CA: its seqs start
 * again at 1 as well).
 */
function ownerKey(agentId: string, ca: string | undefined): string {
  return ca === undefined ? agentId : `${agentId} ca:${ca}`;
}

export class AppliedOrders {
  private marks: AppliedMarks | undefined;
  /** The agent id the marks belong to, once adopt checked it. */
  private owner: string | undefined;
  /** See executionsAfter. */
  private after: number | undefined;
  /**
   * Every order seq above this one has no execution in the store (read once, then raised as
   * orders run): a new order needs no look-up of an earlier run (see ranBefore).
   */
  private ceiling: number | undefined;

  /** `ca`: the SHA-256 fingerprint of the CA the agent enrolled with (absent: not enrolled). */
  constructor(
    private readonly store: AgentStore,
    private readonly log: DaemonLog,
    private readonly ca?: string,
  ) {}

  private current(): AppliedMarks {
    this.marks ??= {
      floor: readSeq(this.store.getSetting(LAST_ORDER_SEQ_SETTING)),
      above: readSeqList(this.store.getSetting(APPLIED_ORDER_SEQS_SETTING)),
      missing: readSeqList(this.store.getSetting(MISSING_ORDER_SEQS_SETTING)),
    };
    return this.marks;
  }

  /**
   * The manager's welcome says the link is agent `agentId`'s (the id its certificate maps to, the
   * one its order seqs are numbered for). Marks stored for another id or CA (the home was
   * enrolled again) are reset in one transaction: no seq applied, and every execution recorded so
   * far left out (executionsAfter). A store of a version that kept no id, or the id alone, adopts
   * this one and keeps its marks: an upgrade must not run old orders again (a re-enrollment in the
   * same upgrade is not told apart). The hello before that welcome still carried the earlier
   * marks' floor: the manager does not act on it (it numbers orders from its own store).
   * @returns executionsAfter. @throws when the store cannot take a reset (nothing changed: the
   * link is closed and the welcome comes again); the id of an upgraded store that cannot be
   * written is logged and written at a later welcome.
   */
  adopt(agentId: string): number {
    const key = ownerKey(agentId, this.ca);
    if (this.owner !== key) {
      const stored = this.store.getSetting(ORDERS_AGENT_ID_SETTING);
      // A bare id is a store of the version that kept no CA: the same enrollment, most likely.
      if (stored === undefined || stored === agentId) {
        this.keepMarksOf(key);
      } else if (stored !== key) {
        this.reset(key, stored);
      } else {
        this.owner = key;
      }
    }
    return this.executionsAfter();
  }

  /**
   * Executions with an id at or below this one were recorded under an earlier agent id: not a run
   * of this id's orders, and not reported to its manager. 0: none.
   */
  executionsAfter(): number {
    this.after ??= ordersAfterExecution(this.store);
    return this.after;
  }

  /** Adopts `key` for the marks in place (a store from before the id was kept). */
  private keepMarksOf(key: string): void {
    try {
      this.store.setSetting(ORDERS_AGENT_ID_SETTING, key);
      this.owner = key;
    } catch (err) {
      this.log.error(`Cannot record the agent id of the applied orders: ${errorMessage(err)}`);
    }
  }

  /** No seq applied, for `key`; what the store holds so far is `before`'s. @throws as adopt. */
  private reset(key: string, before: string): void {
    const after = this.store.transaction(() => {
      const last = this.store.listExecutions({ limit: 1 })[0]?.id ?? 0;
      this.store.setSetting(ORDERS_AFTER_EXECUTION_SETTING, String(last));
      this.store.setSetting(ORDERS_AGENT_ID_SETTING, key);
      // The revert orders marked for the earlier id name other orders of this one.
      this.store.forgetRevertMarks();
      // The marks as `write` keeps them (it joins this transaction), last: the ones in memory
      // change only once everything else is written.
      this.write(NO_MARKS);
      return last;
    });
    this.after = after;
    this.owner = key;
    this.ceiling = undefined;
    this.log.warn(
      `This agent is now ${key} (it was ${before}): its orders are numbered anew, so no order counts as applied; executions up to ${after} are not reported.`,
    );
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
   * Whether add order `seq` was already taken in (decidedBefore); a seq above every stored
   * execution's needs no look-up. @throws when the store cannot be read.
   */
  ranBefore(seq: number): boolean {
    return seq <= this.seqCeiling() && this.decidedBefore(seq);
  }

  /**
   * Order `seq` is handed to execd now, before it records the execution: a redelivery is then
   * looked up (ranBefore). @throws when the store cannot be read.
   */
  starting(seq: number): void {
    this.ceiling = Math.max(this.seqCeiling(), seq);
  }

  private seqCeiling(): number {
    this.ceiling ??= this.store.maxOrderSeq(this.executionsAfter());
    return this.ceiling;
  }

  /**
   * An add order whose execution was recorded (with its seq) before a kill -9 cut it short of the
   * ack, and that got as far as its decision (the key is written in the decision's transaction,
   * with the offender count and the active row): the restart re-applied or closed it, so running
   * the redelivery would count a second offence for one alert (issue 13, finding 4). One that
   * ended on its own is done as well. Only one interrupted before its decision counted nothing
   * and runs again.
   */
  private decidedBefore(seq: number): boolean {
    const e = this.store.orderExecution(seq, this.executionsAfter());
    if (e === undefined || (e.key === undefined && (e.status === 'running' || e.note === 'interrupted'))) {
      return false;
    }
    this.log.info(`Order ${seq} was already taken in (execution ${e.id}): acked, not run again.`);
    return true;
  }

  /**
   * The manager's welcome says it numbered this agent's orders only up to `through`
   * (numberedThrough). Anything marked or run above it belongs to a history its store does not
   * hold (restored from an older backup): its next orders are numbered from there and must run,
   * not be acked as applied. In one transaction the marks above go, and the stored executions of
   * those seqs are no longer taken for runs of them (ranBefore). An order above it still running
   * (sent on the previous connection) would be marked when it ends: the link waits until it has.
   * @returns whether anything was cut. @throws when such an order still runs, or the store
   * cannot take the cut (nothing changed: the link is closed and the welcome comes again).
   */
  cutAbove(through: number, running: ReadonlySet<number>): boolean {
    const before = this.current();
    const after = marksCutAt(before, through);
    const top = Math.max(marksTop(before), this.seqCeiling());
    if (top <= through) {
      return false;
    }
    const late = [...running].filter((seq) => seq > through);
    if (late.length > 0) {
      throw new Error(
        `the manager numbered this agent's orders up to seq ${through}, and orders ${late.join(', ')} from before still run: the link is taken again once they end`,
      );
    }
    const forgotten = this.store.transaction(() => {
      const n = this.store.forgetOrderSeqsAbove(through);
      this.write(after); // last, as in reset
      return n;
    });
    this.ceiling = undefined;
    this.log.warn(
      `The manager numbered this agent's orders only up to seq ${through}, but seqs up to ${top} were applied or run here (${forgotten} executions): its store is older than this agent's (restored from a backup?). Seqs above ${through} no longer count as applied, so its new orders run.`,
    );
    return true;
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

/**
 * Drops from `seqOf` (execution id -> the order seq it ran) every execution of a seq above
 * `through`: after AppliedOrders.cutAbove, such a seq names another order (its report goes
 * without one).
 */
export function forgetSeqsAbove(seqOf: Map<number, number>, through: number): void {
  for (const [executionId, seq] of seqOf) {
    if (seq > through) {
      seqOf.delete(executionId);
    }
  }
}
