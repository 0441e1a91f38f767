/**
 * One `add` execution (reference §2.3), with what Wazuh lacks: a time limit, ordering per key, and
 * the active response persisted before `continue` is answered.
 *
 * Flow: write the add line -> first stdout line -> rkey -> wait for this key's turn (KeyOrder) ->
 * repeated-offender timeout -> decideAdd -> store -> reply continue/abort -> script exits ->
 * record the outcome -> release the key. A script whose time limit passed during the wait gets
 * no reply and starts no active response (decideInTurn).
 */
import { decideAdd, decidedActive, type AddDecision, type AddRequest } from '../../core/execd/decide-add.js';
import { hasOffenderList, offenderTimeout } from '../../core/execd/repeated-offenders.js';
import {
  isDryRunMessage,
  keysOfCheckKeys,
  responseKey,
  rewriteForScript,
} from '../../protocol/ar-message.js';
import { parseLenientJson, type JsonObject } from '../../protocol/json.js';
import type { ActiveResponse, ExecutionEnd } from '../../protocol/execution-records.js';
import type { ScriptOutcome } from '../executor/spawn-script.js';
import type { KeyLease } from '../key-order.js';
import { alertFacts, type AlertFacts } from './alert-facts.js';
import type { ExecdContext } from './execd-context.js';
import { addStart } from './execution-start.js';
import { executionEnd } from './record-outcome.js';
import { isoOf, logInForce } from './response-log.js';
import { errorMessage } from '../../protocol/error-message.js';
import { programName } from '../../core/program-name.js';

/** An add that passed intake: a resolved program and its ar.conf timeout. */
export interface AddJob {
  readonly message: JsonObject;
  readonly arName: string;
  readonly program: string;
  /** ar.conf timeout in seconds; 0 = stateless. */
  readonly timeoutSec: number;
  /** The manager order it came from (recorded with the start; see AgentStore.orderExecution). */
  readonly orderSeq?: number | undefined;
}

/** Result for callers that wait (manual runs, tests). */
export interface AddResult {
  readonly executionId: number;
  readonly key: string | undefined;
  readonly decision: AddDecision['kind'] | 'none';
}

/** What the add flow already computed for this execution, reused by the decision. */
export interface Prepared {
  readonly key: string;
  /** The add line written to the script (stored to re-apply after a reboot). */
  readonly addLine: string;
  readonly facts: AlertFacts;
  /** The delete line of this add's own message, when already serialised (the batch plan). */
  readonly deleteMessage?: string;
}

/** The decision's input for this add, with the timeout already through the repeated-offender rule. */
function addRequest(ctx: ExecdContext, job: AddJob, prep: Prepared, timeoutSec: number): AddRequest {
  return {
    key: prep.key,
    arName: job.arName,
    program: job.program,
    agentId: ctx.agentId,
    timeoutSec,
    addMessage: prep.addLine,
    deleteMessage: prep.deleteMessage ?? JSON.stringify(rewriteForScript(job.message, 'delete', job.program)),
    ...prep.facts,
  };
}

/** The active response an add meets, and where its decided one is written. */
export interface AddState {
  /** The stored one, or undefined when an earlier execution of the same batch deletes the key. */
  readonly existing: ActiveResponse | undefined;
  /**
   * Writes the decided active response: the store now by default; a batch collects them and
   * writes them together in the same transaction (run-batch.ts), before any reply is sent.
   */
  readonly put?: (active: ActiveResponse) => void;
  /**
   * The seq of a revert order of this key earlier in the same batch, whose start record (with its
   * seq) the batch writes only at the end of its decide step (LaterReverts cannot read it yet).
   */
  readonly revertedInBatch?: number | undefined;
}

/** The seq of a revert order of `key` created after this add's order and already recorded, if any. */
function laterRevert(ctx: ExecdContext, job: AddJob, key: string, state?: AddState): number | undefined {
  const seq = job.orderSeq;
  if (seq === undefined) {
    return undefined; // not an order (execq, CLI, the manager's own agent): nothing to supersede it
  }
  const inBatch = state?.revertedInBatch;
  return inBatch !== undefined && inBatch > seq ? inBatch : ctx.laterReverts.after(key, seq);
}

/** Applies the repeated-offender rule and decides; persists (`state.put`) before returning. */
export function decideAndStore(ctx: ExecdContext, job: AddJob, prep: Prepared, state: AddState): AddDecision {
  const { existing } = state;
  const { key } = prep;
  const now = ctx.now();
  const revertedBy = laterRevert(ctx, job, key, state);
  let timeoutSec = job.timeoutSec;
  // Without a (non-empty) repeated-offender list the count neither changes nor matters
  // (offenderTimeout: nextCount = previous count): no statement. With one, every add with a
  // timeout counts one more (nextCount = previous + 1): one upsert instead of a get and a set.
  // A superseded add counts none: it is not applied.
  if (revertedBy === undefined && timeoutSec > 0 && hasOffenderList(ctx.repeatedOffenders)) {
    const ro = offenderTimeout(timeoutSec, ctx.store.countOffence(key), ctx.repeatedOffenders);
    if (ro.escalated) {
      ctx.log.debug(`Repeated offender. Setting timeout to '${ro.timeoutSec}s'`, { key });
    }
    timeoutSec = ro.timeoutSec;
  }
  const decision = decideAdd(addRequest(ctx, job, prep, timeoutSec), existing, now, revertedBy);
  const active = decidedActive(decision);
  if (active) {
    if (state.put) {
      state.put(active);
    } else {
      ctx.store.putActive(active);
    }
    ctx.scheduler.arm(key, active.expiresAt);
  }
  logDecision(ctx, job, key, decision);
  return decision;
}

/**
 * The decision of a dry-run add: the same rule (repeated offenders included) and answer, logged,
 * but the active list, the offender counts and the timers are left as they are: nothing was done
 * on the host, so nothing may be listed as in force or reverted later.
 */
export function decideDryRun(
  ctx: ExecdContext,
  job: AddJob,
  prep: Prepared,
  existing: ActiveResponse | undefined,
): AddDecision {
  const { key } = prep;
  const timeoutSec =
    job.timeoutSec > 0
      ? offenderTimeout(job.timeoutSec, ctx.store.getOffenderCount(key), ctx.repeatedOffenders).timeoutSec
      : 0;
  const revertedBy = laterRevert(ctx, job, key);
  const decision = decideAdd(addRequest(ctx, job, prep, timeoutSec), existing, ctx.now(), revertedBy);
  ctx.log.info(
    `Dry run: active response '${job.arName}' would be ${dryRunOutcome(decision)}; nothing touched the host.`,
    { key },
  );
  return decision;
}

function dryRunOutcome(decision: AddDecision): string {
  switch (decision.kind) {
    case 'untracked':
      return 'run untracked';
    case 'superseded':
      return `left out (revert order ${decision.revertSeq} of this key came after it)`;
    case 'started':
    case 'extended':
      return `${decision.kind === 'started' ? 'added' : 'extended'} until ${isoOf(decision.active.expiresAt)}`;
  }
}

function logDecision(ctx: ExecdContext, job: AddJob, key: string, decision: AddDecision): void {
  const active = decidedActive(decision);
  if (active) {
    logInForce(ctx.log, active, decision.kind === 'extended');
  }
  if (decision.kind === 'superseded') {
    ctx.log.info(`Active response '${job.arName}' not applied: ${noteFor(decision, job.orderSeq)}.`, { key });
  }
  // The debug lines below cost a string per execution of a burst: built only when logged.
  if (ctx.log.debugEnabled === false) {
    return;
  }
  if (decision.kind === 'extended') {
    ctx.log.debug('Command already received, updating time of addition to now.', { key });
  } else if (decision.kind === 'started') {
    ctx.log.debug(
      `Adding command '${job.program} ${decision.active.deleteMessage}' to the timeout list, with a timeout of '${decision.active.timeoutSec}s'.`,
      { key: decision.active.key },
    );
  }
}

/**
 * Runs an add through the pool; resolves when the script has exited and the outcome is recorded.
 * The program's ticket and the key lease are released in `finally` on every path, whatever throws
 * (a message that cannot be serialised, a store error, a runner error): one bad execution never
 * stops the executions queued behind it.
 */
export function runAdd(ctx: ExecdContext, job: AddJob): Promise<AddResult> {
  const seq = ctx.order.arrive(job.program);
  let lease: KeyLease | undefined;
  const run = async (): Promise<AddResult> => {
    try {
      return await addInSlot(ctx, job, seq, (l) => {
        lease = l;
      });
    } finally {
      ctx.order.resolve(job.program, seq);
      lease?.release();
    }
  };
  return ctx.pool.run(run);
}

/** One add in flight: what its decide step needs, and what it leaves for the record step. */
interface AddRun {
  readonly job: AddJob;
  readonly executionId: number;
  readonly seq: number;
  readonly dryRun: boolean;
  readonly onLease: (lease: KeyLease) => void;
  key: string | undefined;
  decision: AddDecision | undefined;
  /** The script's limit passed before its key's turn and nothing was decided (decideInTurn). */
  late: boolean;
}

/** The note of an add whose script was stopped before its key's turn: nothing was applied. */
export const LATE_NOTE = "time limit reached while waiting for its key's turn: not applied, not tracked";

async function addInSlot(
  ctx: ExecdContext,
  job: AddJob,
  seq: number,
  onLease: (lease: KeyLease) => void,
): Promise<AddResult> {
  const facts = alertFacts(job.message);
  const dryRun = isDryRunMessage(job.message);
  const executionId = ctx.store.startExecution(addStart(ctx, job, facts));
  const run: AddRun = {
    job,
    executionId,
    seq,
    dryRun,
    onLease,
    key: undefined,
    decision: undefined,
    late: false,
  };
  let outcome: ScriptOutcome;
  try {
    const line = JSON.stringify(rewriteForScript(job.message, 'add', job.program));
    ctx.log.debug(`Executing command '${job.program} ${line}'`, { execution: executionId });
    outcome = await ctx.runScript({
      home: ctx.home,
      program: job.program,
      line,
      mode: 'add',
      limits: ctx.limits,
      ...(dryRun ? { dryRun } : {}),
      decide: (firstLine, stopped) =>
        decideInTurn(ctx, run, { key: rkeyOf(ctx, job.program, firstLine), addLine: line, facts }, stopped),
    });
  } catch (err) {
    // Recorded as failed, so the execution does not stay "running" until the next start.
    ctx.store.endExecution(executionId, failedEnd(ctx, err, run.key));
    ctx.onExecution?.(executionId);
    throw err;
  }
  if (outcome.handshake !== 'line') {
    ctx.log.debug(
      `Active response won't be added to timeout list. Message not received with alert keys from script '${job.program}'`,
    );
  }
  ctx.store.endExecution(executionId, addEnd(run, outcome));
  ctx.onExecution?.(executionId);
  return { executionId, key: run.key, decision: run.decision?.kind ?? 'none' };
}

/** The end record of an add whose script ran, with what its decide step left. */
function addEnd(run: AddRun, outcome: ScriptOutcome): ExecutionEnd {
  const { key, decision } = run;
  const action = decision?.answer === 'abort' ? 'abort' : 'add';
  const said = run.late ? LATE_NOTE : noteFor(decision, run.job.orderSeq);
  const note = run.dryRun ? `dry run: ${said ?? 'not tracked'}` : said;
  return executionEnd(outcome, { key, action, note });
}

/** The rkey an add's first line announces (reference §2.3: basename + check_keys keys). */
function rkeyOf(ctx: ExecdContext, program: string, firstLine: string): string {
  return responseKey(programName(program), keysOfCheckKeys(parseLenientJson(firstLine)), (m) => {
    ctx.log.warn(m);
  });
}

/**
 * The decide step of one add whose first line announced `prep.key`: once the key's turn comes,
 * decides, stores (before the reply, see decideAndStore) and returns the reply.
 *
 * The wait for the turn counts against the script's time limit (executor-port.ts). If the limit has
 * passed by then (`stopped()`) and the key has no active response, the script cannot apply the one
 * `continue` would start: nothing is decided or stored (no active row, no revert timer, no offence
 * counted) and no reply is sent, as when Wazuh gets no check_keys line; the record says why
 * (LATE_NOTE). A key already active is decided as usual: `abort` asks nothing of the script, and
 * the repeat moves the deadline of the response in force, as under Wazuh.
 */
async function decideInTurn(
  ctx: ExecdContext,
  run: AddRun,
  prep: Prepared,
  stopped: () => boolean,
): Promise<string | undefined> {
  const { job } = run;
  const { key } = prep;
  run.key = key;
  run.onLease(await ctx.order.acquire(job.program, run.seq, key));
  // One transaction: the execution's key (what a restart reconciles by) and the decision.
  const decision = ctx.store.transaction(() => {
    const existing = ctx.store.getActive(key);
    if (existing === undefined && stopped()) {
      return undefined; // nothing to write: the run's end record carries the key
    }
    ctx.store.setExecutionKey(run.executionId, key);
    return run.dryRun ? decideDryRun(ctx, job, prep, existing) : decideAndStore(ctx, job, prep, { existing });
  });
  if (decision === undefined) {
    run.late = true;
    ctx.log.warn(
      `Active response won't be added to timeout list: script '${job.program}' reached its time limit while waiting for its key's turn`,
      { key, execution: run.executionId },
    );
    return undefined;
  }
  run.decision = decision;
  return JSON.stringify(rewriteForScript(job.message, decision.answer, job.program));
}

/** The end of an execution that threw before its script's outcome was known. */
export function failedEnd(ctx: ExecdContext, err: unknown, key: string | undefined): ExecutionEnd {
  return {
    ...(key !== undefined ? { key } : {}),
    endedAt: ctx.now(),
    exitCode: undefined,
    signal: undefined,
    timedOut: false,
    status: 'failed',
    stderrTail: '',
    note: `execution error: ${errorMessage(err)}`,
  };
}

/** Why a superseded add was not applied (its record's note and its log line). */
function supersededNote(orderSeq: number | undefined, revertSeq: number): string {
  return `superseded: revert order ${revertSeq} of this key, created after this order (${orderSeq ?? '?'}), ran first`;
}

export function noteFor(decision: AddDecision | undefined, orderSeq?: number): string | undefined {
  switch (decision?.kind) {
    case 'superseded':
      return supersededNote(orderSeq, decision.revertSeq);
    case 'extended':
      return `already active: deadline moved to ${isoOf(decision.active.expiresAt)}`;
    case 'started':
      return `active until ${isoOf(decision.active.expiresAt)}`;
    case 'untracked':
    case undefined:
      return undefined;
  }
}
