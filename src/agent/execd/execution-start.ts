/**
 * The start record of an execution, one shape for every path (spawned, batched, absent, revert,
 * re-apply), so history rows look the same whichever path ran them.
 */
import type { ActiveResponse, ExecutionAction, ExecutionStart } from '../../protocol/execution-records.js';
import type { JsonObject } from '../../protocol/json.js';
import { alertFacts, type AlertFacts } from './alert-facts.js';
import type { ExecdContext } from './execd-context.js';

/** What an add's start record needs of its job (run-add's AddJob has these). */
export interface AddStartJob {
  readonly message: JsonObject;
  readonly arName: string;
  readonly program: string;
  /** The manager order it came from, if any. */
  readonly orderSeq?: number | undefined;
}

/**
 * An add, with its key when already known (a batch: check_keys came before the start record);
 * `facts` when the caller already read them from the message.
 */
export function addStart(
  ctx: ExecdContext,
  job: AddStartJob,
  facts: AlertFacts = alertFacts(job.message),
  key?: string,
): ExecutionStart {
  return {
    key,
    arName: job.arName,
    program: job.program,
    action: 'add',
    agentId: ctx.agentId,
    ...facts,
    startedAt: ctx.now(),
    ...(job.orderSeq !== undefined ? { orderSeq: job.orderSeq } : {}),
  };
}

/**
 * An execution of an active response (delete, re-apply): its facts come from the stored row.
 * `orderSeq`: the manager's revert order a delete came from, if any.
 */
export function responseStart(
  ctx: ExecdContext,
  active: ActiveResponse,
  action: ExecutionAction,
  orderSeq?: number,
): ExecutionStart {
  return {
    key: active.key,
    arName: active.arName,
    program: active.program,
    action,
    agentId: active.agentId,
    alertId: active.alertId,
    ruleId: active.ruleId,
    srcip: active.srcip,
    user: active.user,
    startedAt: ctx.now(),
    ...(orderSeq !== undefined ? { orderSeq } : {}),
  };
}
