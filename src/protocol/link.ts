/**
 * The manager <-> agent link protocol: one JSON object per WebSocket text message, over
 * `wss://MANAGER:PORT/link` with mutual TLS. The agent's identity comes from its client certificate,
 * never from a frame, so no frame carries the sender's agent id.
 *
 * agent -> manager:
 *   hello        first frame after connecting: version, last applied order seq, AR disabled?
 *   active-list  right after hello: the agent's complete active list (the manager replaces its view)
 *   ack          an order was accepted (the order becomes `delivered`)
 *   rejected     an accepted order could not run at all (execd refused the message): no execution
 *   execution    one execution record (and the key's state after it), maybe from an order
 * manager -> agent:
 *   welcome      answer to hello: the id the certificate maps to, the last execution id the
 *                manager holds for this agent (the agent re-sends newer ones)
 *   order        add (a raw AR JSON message, as execd takes it) or revert (an active key)
 *
 * Pure: validators only (hand-written type guards), no I/O. Frames larger than
 * {@link LINK_MAX_FRAME_BYTES} are refused by the transport before they reach these functions.
 */
import { INPUT_BOUNDS, parseBoundedJson } from './json-bounds.js';
import type {
  ActiveResponse,
  ExecutionAction,
  ExecutionRecord,
  ExecutionStatus,
} from './execution-records.js';

/** Largest accepted frame, in bytes (enforced by ws `maxPayload`). 1 MiB. */
export const LINK_MAX_FRAME_BYTES = 1024 * 1024;
/** URL path of the link endpoint. */
export const LINK_PATH = '/link';
/** Close codes: 4400 malformed frame, 4403 agent not allowed (removed / unknown cert), 4409 replaced. */
export const LinkClose = { MALFORMED: 4400, FORBIDDEN: 4403, REPLACED: 4409, SHUTDOWN: 1001 } as const;

export interface HelloFrame {
  readonly type: 'hello';
  /** Riposte version of the agent, e.g. "0.1.0". */
  readonly version: string;
  /** Highest order seq the agent applied (0 = none); orders <= it are acked but not run again. */
  readonly lastOrderSeq: number;
  /** True when the agent's ossec.conf disables active response (Wazuh 1750 for API runs). */
  readonly disabled: boolean;
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
export interface ExecutionFrame {
  readonly type: 'execution';
  /** The order seq when the execution came from an order (absent otherwise). */
  readonly seq?: number;
  readonly record: ExecutionRecord;
  /** The key's active response after this execution; null when it is not (or no longer) active. */
  readonly active: ActiveResponse | null;
}
export interface ActiveListFrame {
  readonly type: 'active-list';
  readonly items: readonly ActiveResponse[];
}
export type AgentFrame = HelloFrame | AckFrame | RejectedFrame | ExecutionFrame | ActiveListFrame;

export interface WelcomeFrame {
  readonly type: 'welcome';
  readonly agentId: string;
  /** Highest agent-local execution id the manager has recorded for this agent (0 = none). */
  readonly lastExecutionId: number;
  /** The manager's ar.conf text (Wazuh's shared config): the agent installs it when it differs. */
  readonly arConf: string;
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
export type ManagerFrame = WelcomeFrame | OrderFrame;

/** A parse result: the frame, or a one-line reason (sent back in the close reason, capped). */
export type FrameResult<T> =
  { readonly ok: true; readonly frame: T } | { readonly ok: false; readonly error: string };

type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function optStr(v: unknown): v is string | undefined {
  return v === undefined || v === null || typeof v === 'string';
}
function optNum(v: unknown): v is number | undefined {
  return v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v));
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function optCap(v: unknown, max: number): string | undefined {
  return typeof v === 'string' ? capText(v, max) : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

const ACTIONS: readonly ExecutionAction[] = ['add', 'delete', 'abort', 'reapply'];
const STATUSES: readonly ExecutionStatus[] = ['ok', 'failed', 'timed-out', 'spawn-error', 'running'];

/**
 * Sizes an agent may send (issue 13.3): free text is cut at receipt (`stderrTail` 4 KiB, `note`
 * 1 KiB, `reason` 1 KiB); an identifier or message over its cap makes the frame invalid (a key
 * cut short would name another response). With frames capped at 1 MiB, one execution costs the
 * manager at most about 140 KiB of storage (two AR messages of 64 KiB, Wazuh's OS_MAXSTR).
 */
export const LINK_FIELD_CAPS = {
  stderrTail: 4096,
  note: 1024,
  reason: 1024,
  message: 65_536,
  key: 512,
  name: 1024,
  short: 256,
} as const;

/** Which cap applies to each string field (fields not listed: `short`). */
const FIELD_CAP: Readonly<Record<string, number>> = {
  key: LINK_FIELD_CAPS.key,
  program: LINK_FIELD_CAPS.name,
  arName: LINK_FIELD_CAPS.name,
  deleteMessage: LINK_FIELD_CAPS.message,
  addMessage: LINK_FIELD_CAPS.message,
};

/** True when every string field of `v` is within its cap (free text is cut, not checked). */
function withinCaps(v: Obj): boolean {
  for (const [k, x] of Object.entries(v)) {
    if (
      typeof x === 'string' &&
      k !== 'stderrTail' &&
      k !== 'note' &&
      x.length > (FIELD_CAP[k] ?? LINK_FIELD_CAPS.short)
    ) {
      return false;
    }
  }
  return true;
}

/** `text` cut to `max` characters, marked when cut. */
export function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... [cut at ${max} of ${text.length} chars]`;
}

function hasActiveShape(v: Obj): boolean {
  const strings = ['key', 'arName', 'program', 'deleteMessage', 'addMessage', 'agentId'];
  const numbers = ['createdAt', 'addedAt', 'timeoutSec', 'expiresAt', 'repeatCount'];
  return (
    strings.every((k) => typeof v[k] === 'string') &&
    numbers.every((k) => typeof v[k] === 'number' && Number.isFinite(v[k])) &&
    optStr(v['alertId']) &&
    optNum(v['ruleId']) &&
    optStr(v['srcip']) &&
    optStr(v['user'])
  );
}

/** Validates an active response received on the link (optional fields may be absent or null). */
export function toActiveResponse(v: unknown): ActiveResponse | undefined {
  if (!isObj(v) || !hasActiveShape(v) || !withinCaps(v)) {
    return undefined;
  }
  return {
    key: v['key'] as string,
    arName: v['arName'] as string,
    program: v['program'] as string,
    deleteMessage: v['deleteMessage'] as string,
    addMessage: v['addMessage'] as string,
    agentId: v['agentId'] as string,
    createdAt: v['createdAt'] as number,
    addedAt: v['addedAt'] as number,
    timeoutSec: v['timeoutSec'] as number,
    expiresAt: v['expiresAt'] as number,
    repeatCount: v['repeatCount'] as number,
    alertId: str(v['alertId']),
    ruleId: num(v['ruleId']),
    srcip: str(v['srcip']),
    user: str(v['user']),
  };
}

const RECORD_CHECKS: readonly (readonly [string, (v: unknown) => boolean])[] = [
  ['id', isSeq],
  ['key', optStr],
  ['arName', (v) => typeof v === 'string'],
  ['program', (v) => typeof v === 'string'],
  ['action', (v) => ACTIONS.includes(v as ExecutionAction)],
  ['agentId', (v) => typeof v === 'string'],
  ['alertId', optStr],
  ['ruleId', optNum],
  ['srcip', optStr],
  ['user', optStr],
  ['startedAt', (v) => typeof v === 'number'],
  ['endedAt', optNum],
  ['exitCode', optNum],
  ['signal', optStr],
  ['timedOut', (v) => typeof v === 'boolean'],
  ['status', (v) => STATUSES.includes(v as ExecutionStatus)],
  ['stderrTail', (v) => typeof v === 'string'],
  ['note', optStr],
];

function hasRecordShape(v: Obj): boolean {
  return RECORD_CHECKS.every(([k, check]) => check(v[k]));
}

/** Validates an execution record received on the link. */
export function toExecutionRecord(v: unknown): ExecutionRecord | undefined {
  if (!isObj(v) || !hasRecordShape(v) || !withinCaps(v)) {
    return undefined;
  }
  return {
    id: v['id'] as number,
    key: str(v['key']),
    arName: v['arName'] as string,
    program: v['program'] as string,
    action: v['action'] as ExecutionAction,
    agentId: v['agentId'] as string,
    alertId: str(v['alertId']),
    ruleId: num(v['ruleId']),
    srcip: str(v['srcip']),
    user: str(v['user']),
    startedAt: v['startedAt'] as number,
    endedAt: num(v['endedAt']),
    exitCode: num(v['exitCode']),
    signal: str(v['signal']),
    timedOut: v['timedOut'] as boolean,
    status: v['status'] as ExecutionStatus,
    stderrTail: capText(v['stderrTail'] as string, LINK_FIELD_CAPS.stderrTail),
    note: optCap(v['note'], LINK_FIELD_CAPS.note),
  };
}

/** A frame's JSON object, parsed only within the link bounds (json-bounds.ts); undefined otherwise. */
function parseObject(text: string): Obj | undefined {
  const parsed = parseBoundedJson(text, INPUT_BOUNDS.linkFrame);
  return parsed.ok && isObj(parsed.value) ? parsed.value : undefined;
}

function fail<T>(error: string): FrameResult<T> {
  return { ok: false, error };
}

function agentExecution(v: Obj): FrameResult<AgentFrame> {
  const record = toExecutionRecord(v['record']);
  const active = v['active'] === null ? null : toActiveResponse(v['active']);
  if (record === undefined || active === undefined || (v['seq'] !== undefined && !isSeq(v['seq']))) {
    return fail('invalid execution frame');
  }
  const seq = v['seq'];
  return { ok: true, frame: { type: 'execution', record, active, ...(seq !== undefined ? { seq } : {}) } };
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
  const { version, lastOrderSeq, disabled } = v;
  if (
    typeof version !== 'string' ||
    version.length > 64 ||
    !isSeq(lastOrderSeq) ||
    typeof disabled !== 'boolean'
  ) {
    return fail('invalid hello frame');
  }
  return { ok: true, frame: { type: 'hello', version, lastOrderSeq, disabled } };
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
      return isSeq(v['seq']) && typeof v['reason'] === 'string'
        ? {
            ok: true,
            frame: { type: 'rejected', seq: v['seq'], reason: capText(v['reason'], LINK_FIELD_CAPS.reason) },
          }
        : fail('invalid rejected frame');
    case 'execution':
      return agentExecution(v);
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

/** Parses and validates one manager -> agent frame. */
export function parseManagerFrame(text: string): FrameResult<ManagerFrame> {
  const v = parseObject(text);
  switch (v?.['type']) {
    case 'welcome': {
      const { agentId, lastExecutionId, arConf } = v;
      return typeof agentId === 'string' && isSeq(lastExecutionId) && typeof arConf === 'string'
        ? { ok: true, frame: { type: 'welcome', agentId, lastExecutionId, arConf } }
        : fail('invalid welcome frame');
    }
    case 'order':
      return managerOrder(v);
    default:
      return fail(v === undefined ? 'frame is not a JSON object' : 'unknown frame type');
  }
}

/** Serialises a frame (compact JSON; undefined fields dropped). */
export function encodeFrame(frame: AgentFrame | ManagerFrame): string {
  return JSON.stringify(frame);
}
