/**
 * Maps a script outcome to the execution record's end fields: one table from exit state to
 * status, so the API, CLI and manager all read the same words.
 */
import type { ExecutionAction, ExecutionEnd, ExecutionStatus } from '../../protocol/execution-records.js';
import type { ScriptOutcome } from '../executor/spawn-script.js';

export function statusOf(outcome: ScriptOutcome): Exclude<ExecutionStatus, 'running'> {
  if (outcome.spawnError !== undefined) {
    return 'spawn-error';
  }
  if (outcome.timedOut) {
    return 'timed-out';
  }
  return outcome.exitCode === 0 ? 'ok' : 'failed';
}

/** `a; b` of the parts present (no array per execution: this runs once per execution of a burst). */
function joinNote(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : `${a}; ${b}`;
}

function noteOf(outcome: ScriptOutcome, extra: string | undefined): string | undefined {
  const handshake =
    outcome.handshake === 'eof'
      ? 'no check_keys line: not tracked'
      : outcome.handshake === 'timeout'
        ? 'no check_keys line within the handshake limit: not tracked'
        : undefined;
  return joinNote(joinNote(outcome.spawnError, handshake), extra);
}

export interface EndFields {
  readonly key?: string | undefined;
  readonly action?: ExecutionAction;
  readonly note?: string | undefined;
}

/** `key` and `action` are present only when given (assigned, not spread: this runs per execution). */
export function executionEnd(outcome: ScriptOutcome, fields: EndFields): ExecutionEnd {
  const end: { -readonly [K in keyof ExecutionEnd]: ExecutionEnd[K] } = {
    endedAt: outcome.endedAt,
    exitCode: outcome.exitCode ?? undefined,
    signal: outcome.signal ?? undefined,
    timedOut: outcome.timedOut,
    status: statusOf(outcome),
    stderrTail: outcome.stderrTail,
    note: noteOf(outcome, fields.note),
  };
  if (fields.key !== undefined) {
    end.key = fields.key;
  }
  if (fields.action !== undefined) {
    end.action = fields.action;
  }
  return end;
}
