/**
 * The agent's half of the link protocol, independent of the transport (a WebSocket for remote
 * agents, in-process calls for the manager's own agent 000):
 *
 * - on connect: hello {version, lastOrderSeq, disabled};
 * - welcome: send the whole active list (the manager reconciles), then every finished execution
 *   newer than what the manager holds;
 * - order: a seq <= the stored `last_order_seq` was already applied (redelivery after a lost ack
 *   or a crash): ack it again, never run it twice. Otherwise store the seq, ack, then run it
 *   (add -> execd.submit, revert -> execd.revert); its execution is reported with the seq, or
 *   `rejected` when execd refused the message.
 *
 * Execution reports are idempotent on the manager ((agent, id) unique), so re-sending is safe.
 */
import type { AgentStore } from '../core/execd/agent-store.js';
import type { ExecutionRecord } from '../protocol/execution-records.js';
import type { AgentFrame, ManagerFrame, OrderFrame } from '../protocol/link.js';
import type { Execd } from '../agent/execd/execd.js';
import type { DaemonLog } from '../log/daemon-log.js';

/** Agent store setting holding the highest applied order seq. */
export const LAST_ORDER_SEQ_SETTING = 'last_order_seq';
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
    const v = Number(this.deps.store.getSetting(LAST_ORDER_SEQ_SETTING) ?? '0');
    return Number.isSafeInteger(v) && v > 0 ? v : 0;
  }

  private onOrder(order: OrderFrame): void {
    const send = this.send;
    if (send === undefined) {
      return;
    }
    if (order.seq <= this.lastSeq()) {
      send({ type: 'ack', seq: order.seq });
      return;
    }
    this.deps.store.setSetting(LAST_ORDER_SEQ_SETTING, String(order.seq));
    send({ type: 'ack', seq: order.seq });
    if (this.deps.disabled) {
      this.reject(order.seq, 'active response is disabled on this agent');
      return;
    }
    void this.run(order);
  }

  private async run(order: OrderFrame): Promise<void> {
    const executionId =
      order.kind === 'add'
        ? (await this.deps.execd.submit(order.message))?.executionId
        : (await this.deps.execd.revert(order.key))?.executionId;
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
