/**
 * The record step's pieces of a batch (run-batch.ts): each execution's outcome in the shape a
 * spawned script's has, and the batch's ends written with one statement per distinct end.
 */
import type { ExecutionEnd } from '../../protocol/execution-records.js';
import type { BatchItemOutcome } from '../../scripts/contract/run-stock-batch.js';
import type { ScriptOutcome } from '../executor/spawn-script.js';
import type { Planned } from './batch-plan.js';
import type { ExecdContext } from './execd-context.js';

/** The in-process twin of a spawned script's outcome, for the execution record. */
export function outcomeOf(
  p: Planned,
  o: BatchItemOutcome | 'timeout',
  startedAt: number,
  endedAt: number,
): ScriptOutcome {
  const isAdd = p.work.kind !== 'delete';
  if (o === 'timeout') {
    return {
      exitCode: null,
      signal: null,
      timedOut: true,
      handshake: isAdd ? 'line' : 'none',
      firstLine: undefined,
      reply: undefined,
      stderrTail: '',
      spawnError: undefined,
      startedAt,
      endedAt,
    };
  }
  return {
    exitCode: o.exitCode,
    signal: null,
    timedOut: false,
    handshake: isAdd ? (o.handshake === 'line' ? 'line' : 'eof') : 'none',
    firstLine: o.firstLine,
    reply: o.reply,
    stderrTail: o.error ?? '',
    spawnError: undefined,
    startedAt,
    endedAt,
  };
}

/** undefined and null are the same here (both store NULL, or keep the stored key/action). */
function same<T>(a: T | null | undefined, b: T | null | undefined): boolean {
  return (a ?? undefined) === (b ?? undefined);
}

/** True when `a` and `b` write the same columns (see {@link signatureOf}). */
function sameEnd(a: ExecutionEnd, b: ExecutionEnd): boolean {
  return (
    a.endedAt === b.endedAt &&
    a.status === b.status &&
    same(a.key, b.key) &&
    same(a.action, b.action) &&
    same(a.exitCode, b.exitCode) &&
    same(a.signal, b.signal) &&
    a.timedOut === b.timedOut &&
    same(a.stderrTail, b.stderrTail) &&
    same(a.note, b.note)
  );
}

/** A text equal for equal ends ({@link sameEnd}). */
function signatureOf(e: ExecutionEnd): string {
  // JSON.stringify writes undefined array elements as null.
  return JSON.stringify([
    e.key,
    e.action,
    e.endedAt,
    e.exitCode,
    e.signal,
    e.timedOut,
    e.status,
    e.stderrTail,
    e.note,
  ]);
}

interface EndGroup {
  readonly end: ExecutionEnd;
  readonly ids: number[];
}

/**
 * Writes the ends of a batch: executions whose ends are equal (a burst's adds decided in the same
 * millisecond end alike) in one statement each, instead of one per execution. An end equal to the
 * one before it (the usual case) joins its group without building its signature.
 */
export function writeEnds(
  ctx: ExecdContext,
  planned: readonly Planned[],
  ends: readonly (ExecutionEnd | undefined)[],
): void {
  const groups = new Map<string, EndGroup>();
  let last: EndGroup | undefined;
  planned.forEach((p, i) => {
    const end = ends[i];
    if (end === undefined || p.executionId === undefined) {
      return;
    }
    if (last !== undefined && sameEnd(last.end, end)) {
      last.ids.push(p.executionId);
      return;
    }
    const sig = signatureOf(end);
    last = groups.get(sig);
    if (last === undefined) {
      last = { end, ids: [p.executionId] };
      groups.set(sig, last);
    } else {
      last.ids.push(p.executionId);
    }
  });
  for (const { end, ids } of groups.values()) {
    ctx.store.endExecutions(ids, end);
  }
}
