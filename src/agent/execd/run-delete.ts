/**
 * Reverting an active response (reference §1.5, §2.4) and re-applying one after a reboot.
 *
 * Delete: the stored `delete` line goes to a new instance of the script, stdin only, no handshake.
 * The record is removed after the script ran, so a crash mid-revert re-runs it at the next start
 * (stock scripts are idempotent). A timeout-driven delete re-checks the deadline under the key's
 * lock: a repeat that arrived meanwhile moved it, and then nothing is reverted. A revert order that
 * finds nothing active is marked (LaterReverts.foundNothing).
 */
import { isDue } from '../../core/execd/due-reverts.js';
import type { ActiveResponse, ExecutionAction } from '../../protocol/execution-records.js';
import { parseLenientJson, isJsonObject } from '../../protocol/json.js';
import { rewriteForScript } from '../../protocol/ar-message.js';
import type { ExecdContext } from './execd-context.js';
import { responseStart } from './execution-start.js';
import { executionEnd } from './record-outcome.js';
import { logReverted } from './response-log.js';

/** Why a revert runs; 'timeout' is the only one that re-checks the deadline. */
export type RevertReason = 'timeout' | 'manual' | 'stop' | 'restore';

/** Why a revert runs, and the manager's revert order it came from, if any (recorded with its start). */
export interface RevertCause {
  readonly reason: RevertReason;
  readonly orderSeq?: number | undefined;
}

export interface RevertResult {
  readonly executionId: number | undefined;
  readonly reverted: boolean;
}

function startRecord(
  ctx: ExecdContext,
  active: ActiveResponse,
  action: ExecutionAction,
  orderSeq?: number,
): number {
  return ctx.store.startExecution(responseStart(ctx, active, action, orderSeq));
}

async function deleteUnderLock(ctx: ExecdContext, key: string, cause: RevertCause): Promise<RevertResult> {
  const { reason } = cause;
  const current = ctx.store.getActive(key);
  if (!current) {
    ctx.laterReverts.foundNothing(key, cause.orderSeq, ctx.now());
    return { executionId: undefined, reverted: false };
  }
  if (reason === 'timeout' && !isDue(current, ctx.now())) {
    ctx.scheduler.arm(key, current.expiresAt);
    return { executionId: undefined, reverted: false };
  }
  const executionId = startRecord(ctx, current, 'delete', cause.orderSeq);
  ctx.laterReverts.recorded(cause.orderSeq);
  ctx.log.debug(
    reason === 'timeout'
      ? `Executing command '${current.program} ${current.deleteMessage}' after a timeout of '${current.timeoutSec}s'`
      : `Delete pending AR: '${current.program}' '${current.deleteMessage}'`,
    { key, reason },
  );
  const outcome = await ctx.runScript({
    home: ctx.home,
    program: current.program,
    line: current.deleteMessage,
    mode: 'delete',
    limits: ctx.limits,
  });
  ctx.store.removeActive(key);
  ctx.scheduler.disarm(key);
  logReverted(ctx.log, current, reason);
  ctx.store.endExecution(executionId, executionEnd(outcome, { note: `revert (${reason})` }));
  ctx.onExecution?.(executionId);
  return { executionId, reverted: true };
}

/** Runs the delete for `key` in its turn; resolves once recorded. */
export function runDelete(ctx: ExecdContext, key: string, cause: RevertCause): Promise<RevertResult> {
  const program = ctx.store.getActive(key)?.program;
  if (program === undefined) {
    // Marked at once: an add of this key still deciding does so in a later turn and finds the mark.
    ctx.laterReverts.foundNothing(key, cause.orderSeq, ctx.now());
    return Promise.resolve({ executionId: undefined, reverted: false });
  }
  const seq = ctx.order.arrive(program);
  return ctx.pool.run(async () => {
    const lease = await ctx.order.acquire(program, seq, key);
    try {
      return await deleteUnderLock(ctx, key, cause);
    } finally {
      lease.release();
    }
  });
}

/** The stored add message rewritten as `command` (add for the script, continue for its handshake). */
function reapplyLine(active: ActiveResponse, command: 'add' | 'continue'): string {
  const parsed = parseLenientJson(active.addMessage);
  return isJsonObject(parsed)
    ? JSON.stringify(rewriteForScript(parsed, command, active.program))
    : active.addMessage;
}

/**
 * Re-applies an active response after a reboot: the add runs again and any handshake is answered
 * `continue` (the response is already recorded; its deadline is unchanged).
 */
export function runReapply(ctx: ExecdContext, active: ActiveResponse, note: string): Promise<number> {
  const seq = ctx.order.arrive(active.program);
  return ctx.pool.run(async () => {
    const lease = await ctx.order.acquire(active.program, seq, active.key);
    try {
      const executionId = startRecord(ctx, active, 'reapply');
      const line = reapplyLine(active, 'add');
      const continueLine = reapplyLine(active, 'continue');
      const outcome = await ctx.runScript({
        home: ctx.home,
        program: active.program,
        line,
        mode: 'add',
        limits: ctx.limits,
        decide: () => Promise.resolve(continueLine),
      });
      ctx.store.endExecution(executionId, executionEnd(outcome, { note }));
      ctx.onExecution?.(executionId);
      return executionId;
    } finally {
      lease.release();
    }
  });
}
