/**
 * The manager <-> agent link protocol: one JSON object per WebSocket text message, over
 * `wss://MANAGER:PORT/link` with mutual TLS. The agent's identity comes from its client certificate,
 * never from a frame, so no frame carries the sender's agent id.
 *
 * agent -> manager:
 *   hello        first frame after connecting: version, last applied order seq, AR disabled?
 *   active-list  right after hello: the agent's complete active list (the manager replaces its view)
 *   ack          an order was accepted (the order becomes `delivered`)
 *   acks         several acks, in order (only to a manager whose welcome said `batches`)
 *   rejected     an accepted order could not run at all (execd refused the message): no execution
 *   execution    one execution record (and the key's state after it), maybe from an order
 *   executions   several execution frames' contents, in order (only when the welcome said `batches`)
 * manager -> agent:
 *   welcome      answer to hello: the id the certificate maps to, the last execution id the
 *                manager holds for this agent (the agent re-sends newer ones), the seq at or
 *                below which nothing waits for it (settledThrough: the agent's applied-seq gaps
 *                close), and the highest seq it numbered for it (numberedThrough: marks above go)
 *   order        add (a raw AR JSON message, as execd takes it) or revert (an active key)
 *   orders       several orders, in seq order (only to an agent whose hello said `batches`)
 *
 * Batches (`acks`, `executions`, `orders`) are offered by a flag in hello and welcome, so a peer of
 * an older version (no flag) gets single frames only. A batch means exactly its frames one after
 * the other; it holds at most LINK_MAX_BATCH_ITEMS items and is packed to stay under the frame cap.
 *
 * Pure: validators only (hand-written type guards), no I/O. Frames larger than
 * {@link LINK_MAX_FRAME_BYTES} are refused by the transport before they reach these functions.
 */
import { INPUT_BOUNDS, parseBoundedJson } from './json-bounds.js';
import type { ActiveResponse, ExecutionRecord } from './execution-records.js';
import {
  LINK_FIELD_CAPS,
  capText,
  isObj,
  isSeq,
  toActiveResponse,
  toExecutionRecord,
  toReportedActive,
  type Obj,
  type ReportedActive,
} from './link-records.js';

export {
  LINK_FIELD_CAPS,
  capText,
  deleteLineOf,
  reportedActive,
  toActiveResponse,
  toExecutionRecord,
  withDeleteMessage,
  type ReportedActive,
} from './link-records.js';

/** Largest accepted frame, in bytes (enforced by ws `maxPayload`). 1 MiB. */
export const LINK_MAX_FRAME_BYTES = 1024 * 1024;
/** Most items in one batch frame (`acks`, `executions`, `orders`). */
export const LINK_MAX_BATCH_ITEMS = 1000;
/** URL path of the link endpoint. */
export const LINK_PATH = '/link';
/**
 * An agent drops a link on which nothing arrived (no ping, no frame) for this long, ms: the
 * manager's --heartbeat must ping it at least three times in it (a lost ping is not a dead link).
 */
export const AGENT_DEAD_AFTER_MS = 30_000;
/**
 * Close codes: 4400 malformed frame, 4403 agent not allowed (removed / unknown cert), 4409 replaced,
 * 1001 shutdown, 1013 retry ("try again later": the manager could not store the agent's frames;
 * the agent reconnects, to the next manager address, and re-sends its hello and reports), 1011
 * internal error (the agent could not take in a frame of the manager's or read its reports, its
 * store failing, say: it reconnects, and the manager redelivers what was not acked).
 */
export const LinkClose = {
  MALFORMED: 4400,
  FORBIDDEN: 4403,
  REPLACED: 4409,
  SHUTDOWN: 1001,
  INTERNAL: 1011,
  RETRY: 1013,
} as const;

export interface HelloFrame {
  readonly type: 'hello';
  /** Riposte version of the agent, e.g. "0.1.0". */
  readonly version: string;
  /**
   * Every order seq at or below this one was applied or settled (0 = none): orders <= it are acked
   * but not run again. Applied seqs above a gap are kept by the agent (applied-orders.ts).
   */
  readonly lastOrderSeq: number;
  /** True when the agent's ossec.conf disables active response (Wazuh 1750 for API runs). */
  readonly disabled: boolean;
  /** The agent takes `orders` batch frames (absent: an older agent, single `order` frames only). */
  readonly batches?: boolean;
}
export interface AckFrame {
  readonly type: 'ack';
  readonly seq: number;
}
export interface RejectedFrame {
  readonly type: 'rejected';
  readonly seq: number;
  /** Why, e.g. "unknown command 'x'" (execd's reason). */
  readonly reason: string;
}
export interface AcksFrame {
  readonly type: 'acks';
  readonly seqs: readonly number[];
}
export interface ExecutionFrame {
  readonly type: 'execution';
  /** The order seq when the execution came from an order (absent otherwise). */
  readonly seq?: number;
  readonly record: ExecutionRecord;
  /**
   * The key's active response after this execution; null when it is not (or no longer) active.
   * Its deleteMessage may be left out (to a manager whose welcome said `derivedDeletes`) when it
   * is the add message with command "delete" (link-records.ts, deleteLineOf).
   */
  readonly active: ReportedActive | null;
}
export interface ActiveListFrame {
  readonly type: 'active-list';
  readonly items: readonly ActiveResponse[];
}
/** An execution report as carried in an `executions` batch. */
export type ExecutionItem = Omit<ExecutionFrame, 'type'>;
export interface ExecutionsFrame {
  readonly type: 'executions';
  readonly items: readonly ExecutionItem[];
}
export type AgentFrame =
  HelloFrame | AckFrame | AcksFrame | RejectedFrame | ExecutionFrame | ExecutionsFrame | ActiveListFrame;

export interface WelcomeFrame {
  readonly type: 'welcome';
  readonly agentId: string;
  /** Highest agent-local execution id the manager has recorded for this agent (0 = none). */
  readonly lastExecutionId: number;
  /** The manager's ar.conf text (Wazuh's shared config): the agent installs it when it differs. */
  readonly arConf: string;
  /** The manager takes `acks` and `executions` batch frames (absent: an older manager). */
  readonly batches?: boolean;
  /**
   * The manager rebuilds a reported active response's deleteMessage when the report leaves it out
   * (absent: an older manager; every report carries it). Halves a report's size.
   */
  readonly derivedDeletes?: boolean;
  /**
   * No order with a seq at or below this one waits for the agent (applied, expired or cancelled):
   * the agent closes the gaps such orders left in its applied seqs (absent: an older manager).
   */
  readonly settledThrough?: number;
  /**
   * The highest seq the manager numbered for this agent's orders (absent: an older manager). An
   * agent that counts a higher seq as applied drops those marks (the manager's store is older
   * than the agent's: restored from a backup), so the orders numbered from here run.
   */
  readonly numberedThrough?: number;
}
export interface AddOrderFrame {
  readonly type: 'order';
  readonly seq: number;
  readonly kind: 'add';
  /** The AR JSON message (reference §1.2) exactly as the agent's execd takes it. */
  readonly message: string;
}
export interface RevertOrderFrame {
  readonly type: 'order';
  readonly seq: number;
  readonly kind: 'revert';
  readonly key: string;
}
export type OrderFrame = AddOrderFrame | RevertOrderFrame;
export interface OrdersFrame {
  readonly type: 'orders';
  readonly orders: readonly OrderFrame[];
}
export type ManagerFrame = WelcomeFrame | OrderFrame | OrdersFrame;

/** A parse result: the frame, or a one-line reason (sent back in the close reason, capped). */
export type FrameResult<T> =
  { readonly ok: true; readonly frame: T } | { readonly ok: false; readonly error: string };

/** A frame's JSON object, parsed only within the link bounds (json-bounds.ts); undefined otherwise. */
function parseObject(text: string): Obj | undefined {
  const parsed = parseBoundedJson(text, INPUT_BOUNDS.linkFrame);
  return parsed.ok && isObj(parsed.value) ? parsed.value : undefined;
}

function fail<T>(error: string): FrameResult<T> {
  return { ok: false, error };
}

function executionItem(v: unknown): ExecutionItem | undefined {
  if (!isObj(v)) {
    return undefined;
  }
  const record = toExecutionRecord(v['record']);
  const active = v['active'] === null ? null : toReportedActive(v['active']);
  const seq = v['seq'];
  if (record === undefined || active === undefined || (seq !== undefined && !isSeq(seq))) {
    return undefined;
  }
  return { record, active, ...(seq !== undefined ? { seq } : {}) };
}

function agentExecution(v: Obj): FrameResult<AgentFrame> {
  const item = executionItem(v);
  return item === undefined
    ? fail('invalid execution frame')
    : { ok: true, frame: { type: 'execution', ...item } };
}

/** The array `v` when it holds 1..LINK_MAX_BATCH_ITEMS items, each accepted by `each`. */
function batchOf<T>(v: unknown, each: (x: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(v) || v.length === 0 || v.length > LINK_MAX_BATCH_ITEMS) {
    return undefined;
  }
  const out: T[] = [];
  for (const x of v) {
    const item = each(x);
    if (item === undefined) {
      return undefined;
    }
    out.push(item);
  }
  return out;
}

function agentBatch(v: Obj): FrameResult<AgentFrame> {
  if (v['type'] === 'acks') {
    const seqs = batchOf(v['seqs'], (x) => (isSeq(x) ? x : undefined));
    return seqs === undefined ? fail('invalid acks frame') : { ok: true, frame: { type: 'acks', seqs } };
  }
  const items = batchOf(v['items'], executionItem);
  return items === undefined
    ? fail('invalid executions frame')
    : { ok: true, frame: { type: 'executions', items } };
}

function agentActiveList(v: Obj): FrameResult<AgentFrame> {
  const raw = v['items'];
  if (!Array.isArray(raw)) {
    return fail('invalid active-list frame');
  }
  const items = raw.map(toActiveResponse);
  if (items.some((i) => i === undefined)) {
    return fail('invalid active-list frame');
  }
  return { ok: true, frame: { type: 'active-list', items: items as ActiveResponse[] } };
}

function agentHello(v: Obj): FrameResult<AgentFrame> {
  const { version, lastOrderSeq, disabled, batches } = v;
  if (
    typeof version !== 'string' ||
    version.length > 64 ||
    !isSeq(lastOrderSeq) ||
    typeof disabled !== 'boolean'
  ) {
    return fail('invalid hello frame');
  }
  return {
    ok: true,
    frame: { type: 'hello', version, lastOrderSeq, disabled, ...(batches === true ? { batches } : {}) },
  };
}

function agentRejected(v: Obj): FrameResult<AgentFrame> {
  return isSeq(v['seq']) && typeof v['reason'] === 'string'
    ? {
        ok: true,
        frame: { type: 'rejected', seq: v['seq'], reason: capText(v['reason'], LINK_FIELD_CAPS.reason) },
      }
    : fail('invalid rejected frame');
}

/** Parses and validates one agent -> manager frame. */
export function parseAgentFrame(text: string): FrameResult<AgentFrame> {
  const v = parseObject(text);
  switch (v?.['type']) {
    case 'hello':
      return agentHello(v);
    case 'ack':
      return isSeq(v['seq'])
        ? { ok: true, frame: { type: 'ack', seq: v['seq'] } }
        : fail('invalid ack frame');
    case 'rejected':
      return agentRejected(v);
    case 'execution':
      return agentExecution(v);
    case 'acks':
    case 'executions':
      return agentBatch(v);
    case 'active-list':
      return agentActiveList(v);
    default:
      return fail(v === undefined ? 'frame is not a JSON object' : 'unknown frame type');
  }
}

function managerOrder(v: Obj): FrameResult<ManagerFrame> {
  const { seq, kind, message, key } = v;
  if (!isSeq(seq) || seq === 0) {
    return fail('invalid order seq');
  }
  if (kind === 'add' && typeof message === 'string') {
    return { ok: true, frame: { type: 'order', seq, kind, message } };
  }
  if (kind === 'revert' && typeof key === 'string' && key.length > 0) {
    return { ok: true, frame: { type: 'order', seq, kind, key } };
  }
  return fail('invalid order frame');
}

function orderItem(v: unknown): OrderFrame | undefined {
  const parsed = isObj(v) ? managerOrder(v) : undefined;
  return parsed?.ok === true && parsed.frame.type === 'order' ? parsed.frame : undefined;
}

function managerWelcome(v: Obj): FrameResult<ManagerFrame> {
  const { agentId, lastExecutionId, arConf, batches, derivedDeletes, settledThrough, numberedThrough } = v;
  return typeof agentId === 'string' &&
    isSeq(lastExecutionId) &&
    typeof arConf === 'string' &&
    (settledThrough === undefined || isSeq(settledThrough)) &&
    (numberedThrough === undefined || isSeq(numberedThrough))
    ? {
        ok: true,
        frame: {
          type: 'welcome',
          agentId,
          lastExecutionId,
          arConf,
          ...(batches === true ? { batches } : {}),
          ...(derivedDeletes === true ? { derivedDeletes } : {}),
          ...(settledThrough !== undefined ? { settledThrough } : {}),
          ...(numberedThrough !== undefined ? { numberedThrough } : {}),
        },
      }
    : fail('invalid welcome frame');
}

/** Parses and validates one manager -> agent frame. */
export function parseManagerFrame(text: string): FrameResult<ManagerFrame> {
  const v = parseObject(text);
  switch (v?.['type']) {
    case 'welcome':
      return managerWelcome(v);
    case 'order':
      return managerOrder(v);
    case 'orders': {
      const orders = batchOf(v['orders'], orderItem);
      return orders === undefined
        ? fail('invalid orders frame')
        : { ok: true, frame: { type: 'orders', orders } };
    }
    default:
      return fail(v === undefined ? 'frame is not a JSON object' : 'unknown frame type');
  }
}

/** Serialises a frame (compact JSON; undefined fields dropped). */
export function encodeFrame(frame: AgentFrame | ManagerFrame): string {
  return JSON.stringify(frame);
}
