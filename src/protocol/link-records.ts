/**
 * Validators of the records the link carries (execution records, active responses) and the size
 * caps of their fields; link.ts parses frames with them and re-exports the public ones. Their
 * strings are taken as the manager's stores hold them (storable-text.ts). Pure.
 */
import { lineWithCommand } from './ar-message.js';
import { storableText } from './storable-text.js';
import type {
  ActiveResponse,
  ExecutionAction,
  ExecutionRecord,
  ExecutionStatus,
} from './execution-records.js';
import { EXECUTION_STATUSES } from './execution-records.js';

export type Obj = Readonly<Record<string, unknown>>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function optStr(v: unknown): v is string | undefined {
  return v === undefined || v === null || typeof v === 'string';
}
function optNum(v: unknown): v is number | undefined {
  return v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v));
}
/** A string field as the manager keeps it (storableText: no NUL, no lone surrogate). */
function text(v: unknown): string {
  return storableText(v as string);
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? storableText(v) : undefined;
}
function optCap(v: unknown, max: number): string | undefined {
  return typeof v === 'string' ? storableText(capText(v, max)) : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

const ACTIONS: readonly ExecutionAction[] = ['add', 'delete', 'abort', 'reapply'];

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

/**
 * An active response as an execution report carries it: `deleteMessage` may be left out when it is
 * the add message with only its command made "delete" (see deleteLineOf), which is what execd
 * stores for every add it prepares; the manager then rebuilds it (withDeleteMessage).
 */
export type ReportedActive = Omit<ActiveResponse, 'deleteMessage'> & {
  readonly deleteMessage?: string | undefined;
};

/**
 * The delete line of an add line (JSON text of an AR message whose command is "add"): the same
 * text with only that command made "delete", or undefined when the pair `"command":"add"` does
 * not occur exactly once. It is the line execd itself builds for an add's delete
 * (ar-message.ts lineWithCommand), so a delete message equal to it can be left out and rebuilt.
 */
export function deleteLineOf(addLine: string): string | undefined {
  return lineWithCommand(addLine, 'delete');
}

/**
 * `a` as a report may carry it: without its delete message (undefined, which JSON leaves out) when
 * deleteLineOf rebuilds it.
 */
export function reportedActive(a: ActiveResponse): ReportedActive {
  return deleteLineOf(a.addMessage) === a.deleteMessage ? { ...a, deleteMessage: undefined } : a;
}

/**
 * A reported active response with its delete message (rebuilt when the report left it out).
 * @throws Error when it was left out and cannot be rebuilt: no sender (reportedActive) or parser
 * (toReportedActive) lets such a report through.
 */
export function withDeleteMessage(a: ReportedActive): ActiveResponse {
  if (a.deleteMessage !== undefined) {
    return { ...a, deleteMessage: a.deleteMessage };
  }
  const deleteMessage = deleteLineOf(a.addMessage);
  if (deleteMessage === undefined) {
    throw new Error(`active response ${a.key}: no delete message and none can be rebuilt`);
  }
  return { ...a, deleteMessage };
}

function hasActiveShape(v: Obj, deleteOptional = false): boolean {
  const strings = ['key', 'arName', 'program', 'addMessage', 'agentId'];
  const numbers = ['createdAt', 'addedAt', 'timeoutSec', 'expiresAt', 'repeatCount'];
  return (
    strings.every((k) => typeof v[k] === 'string') &&
    (typeof v['deleteMessage'] === 'string' || (deleteOptional && v['deleteMessage'] === undefined)) &&
    numbers.every((k) => typeof v[k] === 'number' && Number.isFinite(v[k])) &&
    optStr(v['alertId']) &&
    optNum(v['ruleId']) &&
    optStr(v['srcip']) &&
    optStr(v['user'])
  );
}

/** Validates an active response received on the link (optional fields may be absent or null). */
export function toActiveResponse(v: unknown): ActiveResponse | undefined {
  return isObj(v) && hasActiveShape(v) && withinCaps(v)
    ? activeOf(v, v['deleteMessage'] as string)
    : undefined;
}

/**
 * Validates an active response of an execution report: as toActiveResponse, but `deleteMessage`
 * may be left out when deleteLineOf rebuilds it from `addMessage` (else invalid).
 */
export function toReportedActive(v: unknown): ReportedActive | undefined {
  if (!isObj(v) || !hasActiveShape(v, true) || !withinCaps(v)) {
    return undefined;
  }
  const del = v['deleteMessage'];
  if (typeof del !== 'string' && deleteLineOf(v['addMessage'] as string) === undefined) {
    return undefined;
  }
  return activeOf(v, typeof del === 'string' ? del : undefined);
}

function activeOf(v: Obj, deleteMessage: string): ActiveResponse;
function activeOf(v: Obj, deleteMessage: string | undefined): ReportedActive;
function activeOf(v: Obj, deleteMessage: string | undefined): ReportedActive {
  return {
    key: text(v['key']),
    arName: text(v['arName']),
    program: text(v['program']),
    ...(deleteMessage !== undefined ? { deleteMessage: text(deleteMessage) } : {}),
    addMessage: text(v['addMessage']),
    agentId: text(v['agentId']),
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
  ['status', (v) => EXECUTION_STATUSES.includes(v as ExecutionStatus)],
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
    arName: text(v['arName']),
    program: text(v['program']),
    action: v['action'] as ExecutionAction,
    agentId: text(v['agentId']),
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
    stderrTail: text(capText(v['stderrTail'] as string, LINK_FIELD_CAPS.stderrTail)),
    note: optCap(v['note'], LINK_FIELD_CAPS.note),
  };
}
