/**
 * The agent's half of the link protocol, independent of the transport (a WebSocket for remote
 * agents, in-process calls for the manager's own agent 000):
 *
 * - on connect: hello {version, lastOrderSeq, disabled};
 * - welcome: send the whole active list (the manager reconciles), then every finished execution
 *   newer than what the manager holds;
 * - order: run it (add -> execd.submit, revert -> execd.revert) and ack it only once execd has
 *   recorded its execution (or refused it: `rejected`), so an order taken in but not yet started
 *   when the agent is killed stays queued on the manager and is delivered again. Applied orders
 *   are remembered durably (see AppliedOrders): a redelivered one is acked again, never run twice;
 *   one still running (a redelivery after a reconnect) is acked when it ends.
 *
 * Execution reports are idempotent on the manager ((agent, id) unique), so re-sending is safe.
 * Each execution is read for its report once, after it ended (report-cursor.ts).
 *
 * The ack of an order whose execution is to be reported travels with that report (held with it
 * during a burst, REPORT_HOLD_MS at most): just before the execution, in the same frame batch, so
 * the manager applies the order's delivery and execution as one update (one row write, not two:
 * issue #12 rows 2-3, 10,000 fewer order-row rewrites on the manager in a 10,000-order burst).
 * The order is marked applied first (durably, as always), and an ack never waits longer than the
 * hold; the acks of orders with no execution to report (refused, already applied) go at once.
 *
 * Reports are read from the store only while the transport holds at most REPORT_UNSENT_MAX_BYTES
 * sent and not written out (a manager that does not read: paused by its backpressure, or slow):
 * the store is the truth, so an agent with a million executions to report holds a bounded amount
 * of them in memory, never all of them; the rest is read once the link has taken what waits.
 */
import type { AgentStore } from '../core/execd/agent-store.js';
import type { AgentFrame, ExecutionItem, ManagerFrame, OrderFrame } from '../protocol/link.js';
import { ackFrames, executionFrames } from '../protocol/link-pack.js';
import type { Execd } from '../agent/execd/execd.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { AppliedOrders, forgetSeqsAbove } from './applied-orders.js';
import { HeldAcks } from './held-acks.js';
import { ReportCursor } from './report-cursor.js';
import { SavedReportFloor } from './report-floor.js';
import { installOrKeep } from './install-ar-conf.js';
import { errorMessage } from '../protocol/error-message.js';

/** Least time between two execution report runs during a burst, in ms. */
const FLUSH_INTERVAL_MS = 25;
/**
 * Longest a report waits while orders handed to execd are still running: during a burst the
 * executions go first (the addresses get blocked sooner), and the reports follow in larger runs.
 * An order's ack goes with its execution's report (see the module comment): during a burst the
 * manager learns deliveries and outcomes up to this late. 2 s, not 500 ms (issue #12 rows 2-3): a
 * 10,000-order burst takes 1.5-2 s, and with 500 ms the reports of its first half (agent: read,
 * serialise, send, ~15 % of its thread; manager: parse, store, ~1/3 of its main thread) were made
 * in the middle of it, on the same 2 CPUs as the executions (loaded A/B in BENCHMARKS.md).
 */
const REPORT_HOLD_MS = 2000;
/** Most executions one report run reads; the rest follow (see flush), execd's batches in between. */
export const REPORT_RUN_MAX = 1000;
/**
 * Most bytes the transport may hold sent and not written out for a report run to start (ws's
 * `bufferedAmount`); above it the run reads nothing and is tried again FLUSH_INTERVAL_MS later.
 * The agent then holds at most this plus one run (REPORT_RUN_MAX reports: ~0.5 to 2 KiB each with
 * their active rows, ~4 KiB more with a full stderr tail). 4 MiB: the manager's own mark for one
 * agent's frames waiting for its store (frame-backlog.ts), and more than a link of up to
 * ~1.3 Gbit/s sends in FLUSH_INTERVAL_MS: a deferred run starts again before such a link runs dry.
 */
export const REPORT_UNSENT_MAX_BYTES = 4 * 1024 * 1024;

/** How many bytes a transport holds sent and not written out yet (see REPORT_UNSENT_MAX_BYTES). */
export type UnsentBytes = () => number;

/** A transport that holds nothing (in process, MessagePort): every send is handed over at once. */
const nothingUnsent: UnsentBytes = () => 0;
/** A transport that cannot be ended from the agent's side (tests). */
const noEnd = (): void => undefined;

export interface AgentLinkDeps {
  readonly execd: Pick<Execd, 'submit' | 'revert' | 'listActive'>;
  readonly store: AgentStore;
  readonly log: DaemonLog;
  readonly version: string;
  /** Active response disabled by the agent's config: orders are rejected. */
  readonly disabled: boolean;
  /** Installs the manager's ar.conf (called on every welcome; write only when it differs). */
  readonly installArConf: (text: string) => void;
  /** Longest a report waits while orders run (tests). @default REPORT_HOLD_MS */
  readonly reportHoldMs?: number;
  /** SHA-256 fingerprint of the CA this agent enrolled with (AppliedOrders: whose marks). */
  readonly ca?: string;
}

export class AgentLinkSession {
  private send: ((frame: AgentFrame) => void) | undefined;
  private unsent = nothingUnsent;
  private ready = false;
  private welcomed = false;
  /** The manager's welcome offered `acks` / `executions` batch frames. */
  private batches = false;
  /** The manager's welcome said it rebuilds left-out delete messages (reportedActive). */
  private derivedDeletes = false;
  /** What to report next. */
  private readonly reports = new ReportCursor();
  /** The reports' floor as the store keeps it, for the first welcome after a restart. */
  private readonly savedFloor: SavedReportFloor;
  /** Ends the current connection (the transport's close; see runQueued). */
  private end = noEnd;
  private readonly orderSeqOf = new Map<number, number>();
  /** The report run queued, if any; `hold`: a re-check of a held report (see REPORT_HOLD_MS). */
  private queued: { readonly hold: boolean; readonly timer?: NodeJS.Timeout } | undefined;
  private lastFlushAt = -Infinity;
  /** When the oldest execution not reported yet was notified (undefined: none). */
  private heldSince: number | undefined;
  /** Orders handed to execd whose execution is not recorded yet (not acked yet). */
  private readonly running = new Set<number>();
  /** Orders recorded in this turn, waiting for their applied mark and ack (see settle). */
  private readonly settling: { seq: number; then: () => void }[] = [];
  /** Acks held to go with their execution's report (see the module comment). */
  private readonly heldAcks = new HeldAcks();

  /** Which orders were applied, durably (this session is their only writer). */
  private readonly applied: AppliedOrders;

  constructor(private readonly deps: AgentLinkDeps) {
    this.applied = new AppliedOrders(deps.store, deps.log, deps.ca);
    this.savedFloor = new SavedReportFloor(deps.store, deps.log);
  }

  /**
   * A transport is up: start the handshake; `unsent`: what it holds not written out yet; `end`:
   * closes this connection (the transport then calls `disconnected`, and reconnects).
   */
  connected(send: (frame: AgentFrame) => void, unsent = nothingUnsent, end = noEnd): void {
    this.send = send;
    this.unsent = unsent;
    this.end = end;
    this.ready = false;
    this.heldAcks.clear(); // the manager redelivers those orders: acked again (isApplied)
    send({
      type: 'hello',
      version: this.deps.version,
      lastOrderSeq: this.applied.floor(),
      disabled: this.deps.disabled,
      batches: true,
    });
  }

  /** The transport is gone; frames are no longer sent until the next `connected`. */
  disconnected(): void {
    this.send = undefined;
    this.unsent = nothingUnsent;
    this.end = noEnd;
    this.ready = false;
    this.heldAcks.clear();
    if (this.queued?.timer !== undefined) {
      clearTimeout(this.queued.timer); // a held or deferred run: the next welcome starts one
      this.queued = undefined;
    }
  }

  onFrame(frame: ManagerFrame): void {
    if (frame.type === 'welcome') {
      // The id the orders are numbered for: another than the marks' (the home was enrolled again)
      // resets them, and the executions recorded before are not reported (AppliedOrders.adopt;
      // @throws when the store cannot take that).
      this.reports.leaveOut(this.applied.adopt(frame.agentId));
      // A manager whose store is older than this agent's marks (AppliedOrders.cutAbove; @throws).
      const through = frame.numberedThrough;
      if (through !== undefined && this.applied.cutAbove(through, this.running)) {
        forgetSeqsAbove(this.orderSeqOf, through); // their reports carry no seq of the new history
      }
      // lastExecutionId is the highest id the manager holds, not "all up to there": one still
      // running at a restart is below it (see SavedReportFloor).
      this.reports.reset(
        this.welcomed
          ? Math.min(this.reports.floor, frame.lastExecutionId)
          : this.savedFloor.start(frame.lastExecutionId),
      );
      this.welcomed = true;
      this.batches = frame.batches === true;
      this.derivedDeletes = frame.derivedDeletes === true;
      installOrKeep(this.deps.installArConf, this.deps.log, frame.arConf);
      if (frame.settledThrough !== undefined) {
        this.applied.settleThrough(frame.settledThrough);
      }
      this.ready = true;
      this.send?.({ type: 'active-list', items: this.deps.execd.listActive() });
      this.flush();
      return;
    }
    if (frame.type === 'orders') {
      for (const order of frame.orders) {
        this.onOrder(order);
      }
      return;
    }
    this.onOrder(frame);
  }

  /**
   * Execution `executionId` was recorded as ended (execd's onExecution hook), or, without an id,
   * any execution may have ended (a poll): report it soon. During a burst report runs are at least
   * FLUSH_INTERVAL_MS apart, so that each carries many reports, and wait while orders handed to
   * execd still run (REPORT_HOLD_MS at most); a lone execution is reported at once.
   */
  notifyExecution(executionId?: number): void {
    this.reports.notify(executionId);
    this.heldSince ??= performance.now();
    this.scheduleFlush();
  }

  /** Reports wait while orders handed to execd still run, REPORT_HOLD_MS at most. */
  private holding(): boolean {
    return (
      this.running.size > 0 &&
      this.heldSince !== undefined &&
      performance.now() - this.heldSince < (this.deps.reportHoldMs ?? REPORT_HOLD_MS)
    );
  }

  /** Queues a report run (`now`: on the next turn, the rest of a long run). */
  private scheduleFlush(now = false): void {
    const holding = !now && this.holding();
    if (this.queued !== undefined) {
      if (!this.queued.hold || holding) {
        return;
      }
      clearTimeout(this.queued.timer); // the hold is over (the last order ended): report now
      this.queued = undefined;
    }
    const run = this.runQueued;
    // After the current microtasks, so an order's submit() has mapped its execution to the seq.
    const wait = now
      ? 0
      : Math.max(this.lastFlushAt + FLUSH_INTERVAL_MS - performance.now(), holding ? FLUSH_INTERVAL_MS : 0);
    if (wait <= 0) {
      this.queued = { hold: false };
      setImmediate(run);
    } else {
      this.queued = { hold: holding, timer: setTimeout(run, wait) };
    }
  }

  /**
   * A queued report run, off any frame handler: a store read failing (a full disk, an I/O error)
   * ends this connection as it does in one, never the agent (nothing thrown into the event loop).
   * Nothing was lost: the next welcome restarts the cursor at its floor, and the hello re-sends.
   */
  private readonly runQueued = (): void => {
    this.queued = undefined;
    try {
      if (this.holding()) {
        this.scheduleFlush();
      } else {
        this.flush();
      }
    } catch (err: unknown) {
      this.deps.log.error(`Manager link: a report run failed (${errorMessage(err)}): reconnecting.`);
      this.ready = false; // no more runs on this connection
      this.end();
    }
  };

  /**
   * Recorded (or refused) now, so a kill -9 from here on finds the execution in the store: mark
   * the order applied and ack it, then `then`. The orders settled in one event-loop turn (a batch
   * of executions ends in one turn) are marked in one transaction. If the store cannot take the
   * mark (disk full), the order is not acked: the manager delivers it again after a reconnect, and
   * execd's key dedupe answers it.
   */
  private settle(seq: number, then: () => void = () => undefined): void {
    this.settling.push({ seq, then });
    if (this.settling.length === 1) {
      setImmediate(this.settleAll);
    }
  }

  private readonly settleAll = (): void => {
    const batch = this.settling.splice(0);
    if (batch.length === 0) {
      return;
    }
    const seqs = batch.map((b) => b.seq);
    for (const seq of seqs) {
      this.running.delete(seq);
    }
    let marked = true;
    try {
      this.applied.mark(seqs, this.running);
    } catch (err) {
      marked = false;
      for (const seq of seqs) {
        this.deps.log.error(`Order ${seq} ran but could not be marked applied: ${errorMessage(err)}`);
      }
    }
    if (marked) {
      // An order with an execution to report: its ack goes with the report (afterRun notifies it).
      this.sendAcks(this.heldAcks.settle(seqs, performance.now()));
    }
    for (const { then } of batch) {
      then();
    }
  };

  private sendAcks(seqs: readonly number[]): void {
    if (seqs.length > 0) {
      this.sendAll(this.batches ? ackFrames(seqs) : seqs.map((seq) => ({ type: 'ack', seq })));
    }
  }

  private sendAll(frames: readonly AgentFrame[]): void {
    for (const f of frames) {
      this.send?.(f);
    }
  }

  private onOrder(order: OrderFrame): void {
    const send = this.send;
    // Not before a welcome on this connection (or as it ends: redelivered after the next one),
    // nor a redelivery of an order still running (acked when it ends).
    if (send === undefined || !this.ready || this.running.has(order.seq)) {
      return;
    }
    if (this.applied.has(order.seq)) {
      send({ type: 'ack', seq: order.seq });
      return;
    }
    if (order.kind === 'add' && this.applied.ranBefore(order.seq)) {
      this.settle(order.seq);
      return;
    }
    this.running.add(order.seq);
    if (this.deps.disabled) {
      // Nothing runs: marked, acked and rejected at once.
      this.settle(order.seq, () => {
        this.reject(order.seq, 'active response is disabled on this agent');
      });
      this.settleAll();
      return;
    }
    void this.run(order);
  }

  private async run(order: OrderFrame): Promise<void> {
    let executionId: number | undefined;
    let failure: string | undefined;
    try {
      this.applied.starting(order.seq);
      executionId =
        order.kind === 'add'
          ? (await this.deps.execd.submit(order.message, order.seq))?.executionId
          : (await this.deps.execd.revert(order.key, 'manual', order.seq))?.executionId;
    } catch (err: unknown) {
      // execd throws only when the agent's store fails (a full disk, an I/O error): the order is
      // acked and rejected with the reason, so the manager knows; nothing is left unhandled.
      failure = `the agent could not run it: ${errorMessage(err)}`;
    } finally {
      if (executionId !== undefined) {
        // Mapped now: a flush already queued by execd's hook must report this execution with its seq.
        this.orderSeqOf.set(executionId, order.seq);
        this.heldAcks.mapped(order.seq);
      }
      this.settle(order.seq, () => {
        this.afterRun(order, executionId, failure);
      });
    }
  }

  private afterRun(order: OrderFrame, executionId: number | undefined, failure: string | undefined): void {
    if (executionId === undefined) {
      const why =
        failure ??
        (order.kind === 'add'
          ? 'execd refused the message (see its log)'
          : `no active response "${order.key}"`);
      this.reject(order.seq, why);
      return;
    }
    // Deferred like every other flush: another order's execution may have ended in this same
    // microtask run, before its own submit() resolved and mapped its seq.
    this.notifyExecution(executionId);
  }

  private reject(seq: number, reason: string): void {
    this.deps.log.warn(`Order ${seq} not executed: ${reason}.`);
    this.send?.({ type: 'rejected', seq, reason });
  }

  /** Sends every execution ended since the last run, with its key's active row (one read). */
  private flush(): void {
    // Acks first: an order is acked before its execution is reported, as when each was acked alone.
    this.settleAll();
    this.lastFlushAt = performance.now();
    const send = this.send;
    if (send === undefined || !this.ready) {
      return;
    }
    if (this.unsent() > REPORT_UNSENT_MAX_BYTES) {
      this.deferReports();
      return;
    }
    this.heldSince = undefined;
    const ended = this.reports.read(this.deps.store, REPORT_RUN_MAX, this.derivedDeletes);
    this.savedFloor.keep(this.reports.floor);
    const more = ended.length >= REPORT_RUN_MAX;
    if (more) {
      // The rest is due: on the next turn, or while orders run, FLUSH_INTERVAL_MS later (execd between).
      this.heldSince = -Infinity;
      this.scheduleFlush(this.running.size === 0);
    }
    const stored = this.storedSeqs(ended);
    const items: ExecutionItem[] = ended.map(({ record, active }) => {
      const seq = this.orderSeqOf.get(record.id) ?? stored.get(record.id);
      this.orderSeqOf.delete(record.id);
      if (seq !== undefined) {
        this.heldAcks.reported(seq);
      }
      // Read as the report carries it: with derivedDeletes, no derivable delete message.
      return { record, active, ...(seq !== undefined ? { seq } : {}) };
    });
    // Acks first: each held one just before (or with) its execution's report, in one frame batch.
    this.sendAcks(this.heldAcks.due(more, this.heldBefore()));
    if (items.length === 0) {
      return;
    }
    this.sendAll(this.batches ? executionFrames(items) : items.map((i) => ({ type: 'execution', ...i })));
  }

  /**
   * The order seqs the store holds for reports this process has not mapped (one read, none when
   * all are): a report sent again, after the manager lost it (a restart before it was stored, a
   * restored store) or by a later process, carries its order's seq as the first one did; without
   * it that order would stay `delivered`, its redelivery acked as applied.
   */
  private storedSeqs(ended: readonly { record: { id: number } }[]): Map<number, number> {
    const ids = ended.flatMap(({ record }) => (this.orderSeqOf.has(record.id) ? [] : [record.id]));
    return ids.length === 0 ? new Map<number, number>() : this.deps.store.orderSeqsOf(ids);
  }

  /**
   * The transport holds more than REPORT_UNSENT_MAX_BYTES: nothing is read (the cursor stays, the
   * store keeps the executions) and the run is tried again FLUSH_INTERVAL_MS later (see
   * scheduleFlush). The reports follow, as during a long run (`more`): a held ack waits for its
   * report, REPORT_HOLD_MS at most, and goes alone past it (acks are small, never deferred).
   */
  private deferReports(): void {
    this.sendAcks(this.heldAcks.due(true, this.heldBefore()));
    this.scheduleFlush();
  }

  /** Acks held since this time or earlier have waited the whole hold: they go now. */
  private heldBefore(): number {
    return performance.now() - (this.deps.reportHoldMs ?? REPORT_HOLD_MS);
  }
}
