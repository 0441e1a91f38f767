/**
 * Validators of the records the link carries (execution records, active responses) and the size
 * caps of their fields; link.ts parses frames with them and re-exports the public ones. Pure.
 */
import type {
  ActiveResponse,
  ExecutionAction,
  ExecutionRecord,
  ExecutionStatus,
} from './execution-records.js';

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
