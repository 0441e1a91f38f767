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
 */
import type { AgentStore } from '../core/execd/agent-store.js';
import type { ExecutionRecord } from '../protocol/execution-records.js';
import type { AgentFrame, ManagerFrame, OrderFrame } from '../protocol/link.js';
import type { Execd } from '../agent/execd/execd.js';
import type { DaemonLog } from '../log/daemon-log.js';

/** Agent store setting: every order seq <= this one was applied (or refused). */
export const LAST_ORDER_SEQ_SETTING = 'last_order_seq';
/** Agent store setting: JSON list of applied seqs above LAST_ORDER_SEQ_SETTING (orders end out of order). */
export const APPLIED_ORDER_SEQS_SETTING = 'applied_order_seqs';
const PAGE = 500;

export interface AgentLinkDeps {
  readonly execd: Pick<Execd, 'submit' | 'revert' | 'listActive'>;
  readonly store: AgentStore;
  readonly log: DaemonLog;
  readonly version: string;
  /** Active response disabled by the agent's config: orders are rejected. */
  readonly disabled: boolean;
  /** Installs the manager's ar.conf (called on every welcome; write only when it differs). */
  readonly installArConf: (text: string) => void;
}

export class AgentLinkSession {
  private send: ((frame: AgentFrame) => void) | undefined;
  private ready = false;
  private welcomed = false;
  /** Every execution id <= floor was reported (or is known to the manager). */
  private floor = 0;
  private readonly sent = new Set<number>();
  private readonly orderSeqOf = new Map<number, number>();
  private flushQueued = false;
  /** Orders handed to execd whose execution is not recorded yet (not acked yet). */
  private readonly running = new Set<number>();

  constructor(private readonly deps: AgentLinkDeps) {}

  /** A transport is up: start the handshake. */
  connected(send: (frame: AgentFrame) => void): void {
    this.send = send;
    this.ready = false;
    send({
      type: 'hello',
      version: this.deps.version,
      lastOrderSeq: this.lastSeq(),
      disabled: this.deps.disabled,
    });
  }

  /** The transport is gone; frames are no longer sent until the next `connected`. */
  disconnected(): void {
    this.send = undefined;
    this.ready = false;
  }

  onFrame(frame: ManagerFrame): void {
    if (frame.type === 'welcome') {
      this.floor = this.welcomed ? Math.min(this.floor, frame.lastExecutionId) : frame.lastExecutionId;
      this.welcomed = true;
      this.deps.installArConf(frame.arConf);
      this.sent.clear();
      this.ready = true;
      this.send?.({ type: 'active-list', items: this.deps.execd.listActive() });
      this.flush();
      return;
    }
    this.onOrder(frame);
  }

  /** An execution was recorded (execd's onExecution hook): report it soon. */
  notifyExecution(): void {
    if (this.flushQueued) {
      return;
    }
    this.flushQueued = true;
    // After the current microtasks, so an order's submit() has mapped its execution to the seq.
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private lastSeq(): number {
    return readSeq(this.deps.store.getSetting(LAST_ORDER_SEQ_SETTING));
  }

  private appliedAbove(): Set<number> {
    const text = this.deps.store.getSetting(APPLIED_ORDER_SEQS_SETTING);
    let list: unknown;
    try {
      list = text === undefined ? [] : JSON.parse(text);
    } catch {
      list = [];
    }
    return new Set(Array.isArray(list) ? list.map(readSeq).filter((n) => n > 0) : []);
  }

  private isApplied(seq: number): boolean {
    return seq <= this.lastSeq() || this.appliedAbove().has(seq);
  }

  /**
   * Records `seq` as applied, in one store transaction: the floor moves up to just below the
   * oldest order still running (or to the highest applied one when none runs), and the applied
   * seqs above it are kept, so the list stays as short as the number of orders in flight.
   */
  private markApplied(seq: number): void {
    this.running.delete(seq);
    const store = this.deps.store;
    store.transaction(() => {
      const applied = this.appliedAbove();
      applied.add(seq);
      let floor = this.lastSeq();
      const oldestRunning = Math.min(...this.running);
      const limit = Number.isFinite(oldestRunning) ? oldestRunning - 1 : Math.max(floor, ...applied);
      floor = Math.max(floor, limit);
      const above = [...applied].filter((n) => n > floor).sort((a, b) => a - b);
      store.setSetting(LAST_ORDER_SEQ_SETTING, String(floor));
      store.setSetting(APPLIED_ORDER_SEQS_SETTING, JSON.stringify(above));
    });
  }

  /**
   * Recorded (or refused) now, so a kill -9 from here on finds the execution in the store: mark
   * the order applied and ack it. If the store cannot take the mark (disk full), the order is not
   * acked: the manager delivers it again after a reconnect, and execd's key dedupe answers it.
   */
  private settle(seq: number): void {
    try {
      this.markApplied(seq);
    } catch (err) {
      this.deps.log.error(
        `Order ${seq} ran but could not be marked applied: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    this.send?.({ type: 'ack', seq });
  }

  private onOrder(order: OrderFrame): void {
    const send = this.send;
    if (send === undefined || this.running.has(order.seq)) {
      return; // a redelivery of an order still running: acked when it ends
    }
    if (this.isApplied(order.seq)) {
      send({ type: 'ack', seq: order.seq });
      return;
    }
    this.running.add(order.seq);
    if (this.deps.disabled) {
      this.settle(order.seq);
      this.reject(order.seq, 'active response is disabled on this agent');
      return;
    }
    void this.run(order);
  }

  private async run(order: OrderFrame): Promise<void> {
    let executionId: number | undefined;
    try {
      executionId =
        order.kind === 'add'
          ? (await this.deps.execd.submit(order.message))?.executionId
          : (await this.deps.execd.revert(order.key))?.executionId;
    } finally {
      this.settle(order.seq);
    }
    if (executionId === undefined) {
      const why =
        order.kind === 'add'
          ? 'execd refused the message (see its log)'
          : `no active response "${order.key}"`;
      this.reject(order.seq, why);
      return;
    }
    this.orderSeqOf.set(executionId, order.seq);
    // Deferred like every other flush: another order's execution may have ended in this same
    // microtask run, before its own submit() resolved and mapped its seq.
    this.notifyExecution();
  }

  private reject(seq: number, reason: string): void {
    this.deps.log.warn(`Order ${seq} not executed: ${reason}.`);
    this.send?.({ type: 'rejected', seq, reason });
  }

  /** Finished executions with id > floor, oldest first. */
  private pending(): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    let beforeId: number | undefined;
    for (;;) {
      const page = this.deps.store.listExecutions({
        limit: PAGE,
        ...(beforeId !== undefined ? { beforeId } : {}),
      });
      const newer = page.filter((r) => r.id > this.floor);
      out.push(...newer);
      const last = page[page.length - 1];
      if (page.length < PAGE || newer.length < page.length || last === undefined) {
        return out.reverse();
      }
      beforeId = last.id;
    }
  }

  /** Sends every finished, unsent execution; advances the floor over the contiguous finished prefix. */
  private flush(): void {
    const send = this.send;
    if (send === undefined || !this.ready) {
      return;
    }
    let contiguous = true;
    for (const record of this.pending()) {
      if (record.status === 'running') {
        contiguous = false;
        continue;
      }
      if (!this.sent.has(record.id)) {
        const seq = this.orderSeqOf.get(record.id);
        const active = record.key === undefined ? null : (this.deps.store.getActive(record.key) ?? null);
        send({ type: 'execution', record, active, ...(seq !== undefined ? { seq } : {}) });
        this.sent.add(record.id);
        this.orderSeqOf.delete(record.id);
      }
      if (contiguous) {
        this.floor = record.id;
        this.sent.delete(record.id);
      }
    }
  }
}

/** A stored seq, or 0 when absent or not a positive safe integer. */
function readSeq(v: unknown): number {
  const n = Number(v ?? '0');
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
