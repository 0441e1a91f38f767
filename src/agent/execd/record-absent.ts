/**
 * An add whose ar.conf entry names an executable that is not in active-response/bin. Wazuh's execd
 * ignores it silently (reference §2.2); Riposte records it as an execution that could not start, so
 * it shows in `riposte ar history` and reaches the manager like any other outcome (issue #9).
 */
import { addStart } from './execution-start.js';
import type { ExecdContext } from './execd-context.js';
import type { AddJob, AddResult } from './run-add.js';

export function recordAbsent(ctx: ExecdContext, job: AddJob): AddResult {
  const start = addStart(ctx, job);
  const executionId = ctx.store.startExecution(start);
  ctx.store.endExecution(executionId, {
    endedAt: start.startedAt,
    exitCode: undefined,
    signal: undefined,
    timedOut: false,
    status: 'spawn-error',
    stderrTail: '',
    note: `not present: ${job.program} does not exist on this system (ar.conf entry ${job.arName})`,
  });
  ctx.onExecution?.(executionId);
  return { executionId, key: undefined, decision: 'none' };
}
