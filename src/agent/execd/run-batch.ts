/**
 * A batch of executions of one in-process stock script: the same semantics as one run-add /
 * run-delete / re-apply per execution, with the work grouped.
 *
 *   plan      (no I/O)   each execution's line, in order; deletes and re-applies see the state the
 *                        earlier executions of the batch leave (an add then a delete of one key end
 *                        deleted);
 *   decide    ONE store transaction: every execution's start record, the repeated-offender counts
 *                        and the active responses, committed before any `continue` is answered;
 *   act       the script's batch form: one OS operation for the whole batch (one nft transaction);
 *   record    ONE store transaction: every outcome; reverted (and failed new) responses leave the
 *                        active list, so "active" means enforced.
 *
 * Every item's promise is settled in `finally`, whatever throws: the program's queue always moves on.
 * The log lines of the decide and record steps (one per execution) are appended in one write each.
 */
import type { ActiveResponse, ExecutionEnd, ExecutionStart } from '../../protocol/execution-records.js';
import {
  isArEnvelope,
  lineWithCommand,
  responseKey,
  rewriteForScript,
  withCommand,
} from '../../protocol/ar-message.js';
import {
  NOT_RUN,
  runStockBatch,
  type BatchLine,
  type BatchReply,
  type CheckKeysLine,
} from '../../scripts/contract/run-stock-batch.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { runInToolScope } from '../../scripts/contract/tool-scope.js';
import { inOneLogWrite } from '../../log/daemon-log.js';
import type { ScriptOutcome } from '../executor/spawn-script.js';
import { alertFacts } from './alert-facts.js';
import { NOT_REVERTED, plan, reapplyLine, type BatchWork, type Planned } from './batch-plan.js';
import { addStart, responseStart } from './execution-start.js';
import type { ExecdContext } from './execd-context.js';
import { executionEnd } from './record-outcome.js';
import { decideAndStore, noteFor, type AddJob } from './run-add.js';
import { decidedActive } from '../../core/execd/decide-add.js';
import { logReverted } from './response-log.js';
import { withLimit } from '../../exec/with-limit.js';
import { outcomeOf, writeEnds } from './batch-outcomes.js';
import { programName } from '../../core/program-name.js';

export { batchItemsFor, type BatchWork } from './batch-plan.js';

/** One batch's context and the state its decide step leaves for its record step. */
interface DecideState {
  readonly ctx: ExecdContext;
  /** Keys deleted by an earlier execution of this batch (their row goes in the record step). */
  readonly deleted: Set<string>;
  /** Index of the last execution that wrote each key: only it removes the row in the record step. */
  readonly lastWrite: Map<string, number>;
  /**
   * The active responses the decide step wrote, by key (the latest per key), written together at
   * its end: until then this is what the store would answer for those keys (the decide step
   * removes no row: deletes leave the list in the record step).
   */
  readonly written: Map<string, ActiveResponse>;
  /**
   * The seq of the latest revert order of each key decided so far in this batch: its start record
   * is written only at the end of the step, and a later add of the key it supersedes is decided
   * before that (run-add.ts AddState.revertedInBatch).
   */
  readonly revertSeqs: Map<string, number>;
  /** The start records of the decide step, written together at its end, and their executions. */
  readonly starts: ExecutionStart[];
  readonly startedBy: Planned[];
}

function decideState(ctx: ExecdContext): DecideState {
  return {
    ctx,
    deleted: new Set(),
    lastWrite: new Map(),
    written: new Map(),
    revertSeqs: new Map(),
    starts: [],
    startedBy: [],
  };
}

/** Queues `p`'s start record (written by {@link decideAll} in the same transaction). */
function start(st: DecideState, p: Planned, record: ExecutionStart): void {
  st.starts.push(record);
  st.startedBy.push(p);
}

/** The active response of `key` as the store holds it in this decide step (with its writes so far). */
function activeNow(st: DecideState, key: string): ActiveResponse | undefined {
  return st.written.get(key) ?? st.ctx.store.getActive(key);
}

/**
 * The stored response an add meets: the one read for `key` while planning (the plan and decide
 * steps run in one synchronous step, so nothing else wrote it since) unless an earlier execution
 * of this batch wrote or deleted the key; otherwise read now.
 */
function storedFor(st: DecideState, p: Planned, key: string): ActiveResponse | undefined {
  if (st.deleted.has(key)) {
    return undefined;
  }
  if (p.stored?.key === key && !st.lastWrite.has(key)) {
    return p.stored.active;
  }
  return activeNow(st, key);
}

/** The reply line, with the message it serialises (the skeleton checks it without parsing it back). */
function replyFor(p: Planned, job: AddJob, answer: 'continue' | 'abort'): BatchReply {
  // The planned add message differs from the reply only by `command` (rewriteForScript's output).
  const reply = p.message
    ? withCommand(p.message, answer)
    : rewriteForScript(job.message, answer, job.program);
  const line = (p.message && lineWithCommand(p.line, answer)) ?? JSON.stringify(reply);
  return isArEnvelope(reply) ? { line, message: reply } : line;
}

/** Decides one add inside the batch's transaction; returns its reply line, if any. */
function decideAddOne(
  st: DecideState,
  p: Planned,
  index: number,
  checkKeys: CheckKeysLine | undefined,
): BatchReply | undefined {
  const { ctx } = st;
  const { work } = p;
  if (work.kind !== 'add') {
    return undefined;
  }
  const { job } = work;
  const facts = alertFacts(job.message);
  if (checkKeys === undefined) {
    start(st, p, addStart(ctx, job, facts));
    return undefined;
  }
  const key = responseKey(programName(job.program), checkKeys.keys);
  p.key = key;
  // Started with its key: a restart after a crash reconciles by it.
  start(st, p, addStart(ctx, job, facts, key));
  const existing = storedFor(st, p, key);
  const prep = {
    key,
    addLine: p.line,
    facts,
    ...(p.deleteMessage !== undefined ? { deleteMessage: p.deleteMessage } : {}),
  };
  const decision = decideAndStore(ctx, job, prep, {
    existing,
    put: (active) => {
      st.written.set(active.key, active);
    },
    revertedInBatch: st.revertSeqs.size === 0 ? undefined : st.revertSeqs.get(key),
  });
  p.decision = decision;
  if (decidedActive(decision)) {
    st.deleted.delete(key);
    st.lastWrite.set(key, index);
  }
  return replyFor(p, job, decision.answer);
}

/** Revert order `seq` of `key` (undefined: not an order) supersedes this batch's later adds of it below. */
function revertedBy(st: DecideState, key: string, seq: number | undefined): void {
  if (seq !== undefined) {
    st.revertSeqs.set(key, Math.max(seq, st.revertSeqs.get(key) ?? 0));
  }
}

/**
 * Decides one execution inside the batch's transaction; returns its reply line, if any, or NOT_RUN
 * for a delete or re-apply that finds nothing active (an earlier execution of this batch left the
 * key inactive, or only an untracked add of it came before: batch-plan.ts): run one by one it would
 * not have started, so it logs nothing and acts on nothing; a revert order is marked here then.
 */
function decideOne(
  st: DecideState,
  p: Planned,
  index: number,
  checkKeys: CheckKeysLine | undefined,
): BatchReply | typeof NOT_RUN | undefined {
  const { ctx } = st;
  const { work: w } = p;
  ctx.pollIntake?.();
  if (w.kind === 'add') {
    return decideAddOne(st, p, index, checkKeys);
  }
  // The row read while planning is current unless an earlier execution of this batch wrote the key
  // (then planning found it in the batch's view and read nothing): plan and decide run in one
  // synchronous step, so nothing else wrote it since. One read per revert, not two.
  const active = p.active ?? activeNow(st, w.key);
  if (!active) {
    if (w.kind === 'delete') {
      ctx.laterReverts.foundNothing(w.key, w.orderSeq, ctx.now());
      revertedBy(st, w.key, w.orderSeq);
    }
    return NOT_RUN;
  }
  p.key = w.key;
  if (w.kind === 'delete') {
    start(st, p, responseStart(ctx, active, 'delete', w.orderSeq));
    ctx.laterReverts.recorded(w.orderSeq);
    revertedBy(st, w.key, w.orderSeq);
    p.reverting = active;
    st.deleted.add(w.key);
    st.lastWrite.set(w.key, index);
    if (ctx.log.debugEnabled !== false) {
      ctx.log.debug(
        w.reason === 'timeout'
          ? `Executing command '${active.program} ${p.line}' after a timeout of '${active.timeoutSec}s'`
          : `Delete pending AR: '${active.program}' '${p.line}'`,
        { key: w.key, reason: w.reason },
      );
    }
    return undefined;
  }
  start(st, p, responseStart(ctx, active, 'reapply'));
  return reapplyLine(active, 'continue');
}

/**
 * The decide step, inside its transaction: each execution decided in order, then every active
 * response and every start record in multi-row writes (nothing reads them before the record step
 * but this step, through {@link activeNow}).
 */
function decideAll(
  st: DecideState,
  planned: readonly Planned[],
  checkKeys: readonly (CheckKeysLine | undefined)[],
): (BatchReply | typeof NOT_RUN | undefined)[] {
  const replies = planned.map((p, i) => decideOne(st, p, i, checkKeys[i]));
  st.ctx.store.putActives([...st.written.values()]);
  const ids = st.ctx.store.startExecutions(st.starts);
  st.startedBy.forEach((p, i) => {
    const id = ids[i];
    if (id !== undefined) {
      p.executionId = id;
    }
  });
  return replies;
}

/** The record step for one execution, inside the outcome transaction: its end, written by the caller. */
function recordOne(
  st: DecideState,
  p: Planned,
  index: number,
  outcome: ScriptOutcome,
): ExecutionEnd | undefined {
  const { work: w, key } = p;
  st.ctx.pollIntake?.();
  if (p.executionId === undefined) {
    return undefined;
  }
  const lastWriter = key !== undefined && st.lastWrite.get(key) === index;
  let end: ExecutionEnd;
  if (w.kind === 'add') {
    end = addEnd(st.ctx, p, outcome, lastWriter);
  } else if (w.kind === 'delete') {
    if (lastWriter && key !== undefined) {
      // A plain DELETE: the row logged is the one the decide step read. Only this program's batches
      // write its keys (the key names the program) and one runs at a time, so the row is unchanged.
      if (st.ctx.store.deleteActive(key) && p.reverting !== undefined) {
        logReverted(st.ctx.log, p.reverting, w.reason);
      }
      st.ctx.scheduler.disarm(key);
    }
    end = executionEnd(outcome, { note: `revert (${w.reason})` });
  } else {
    end = executionEnd(outcome, { note: w.note });
  }
  return end;
}

/**
 * An add's end. A new response whose action failed is not enforced: it leaves the active list (and
 * the schedule) unless a later execution of the batch wrote the key. A timed-out one may still be
 * applied: it stays, and its revert will clean up.
 */
function addEnd(ctx: ExecdContext, p: Planned, outcome: ScriptOutcome, lastWriter: boolean): ExecutionEnd {
  const action = p.decision?.answer === 'abort' ? 'abort' : 'add';
  let note = noteFor(p.decision, p.work.kind === 'add' ? p.work.job.orderSeq : undefined);
  if (p.decision?.kind === 'started' && !outcome.timedOut && outcome.exitCode !== 0 && lastWriter) {
    ctx.store.removeActive(p.decision.active.key);
    ctx.scheduler.disarm(p.decision.active.key);
    note = 'not enforced: not kept active';
  }
  // The start record already holds the key (p.key, when known) and the action 'add': the end
  // leaves both as stored unless the add only extended a response (then it is recorded 'abort').
  return executionEnd(outcome, action === 'abort' ? { action, note } : { note });
}

function settle(ctx: ExecdContext, p: Planned): void {
  const { work: w, executionId: id } = p;
  if (id !== undefined) {
    ctx.onExecution?.(id);
  }
  if (w.kind === 'add') {
    w.done(
      id === undefined ? undefined : { executionId: id, key: p.key, decision: p.decision?.kind ?? 'none' },
    );
  } else if (w.kind === 'delete') {
    w.done(id === undefined ? NOT_REVERTED : { executionId: id, reverted: true });
  } else {
    w.done(id);
  }
}

/**
 * `now` as a Date, one Date per millisecond: the skeleton stamps every log line of a batch (five
 * per add) and reads the Date only.
 */
function sameMsDate(now: () => number): () => Date {
  let last = new Date(now());
  return () => {
    const ms = now();
    if (ms !== last.getTime()) {
      last = new Date(ms);
    }
    return last;
  };
}

/** Runs one batch of `work` for `program` (see module doc). */
export async function runBatch(
  ctx: ExecdContext,
  program: string,
  script: StockScript,
  work: readonly BatchWork[],
): Promise<void> {
  try {
    const planned = plan(ctx, script, work);
    if (planned.length === 0) {
      return;
    }
    const st = decideState(ctx);
    const startedAt = ctx.now();
    const host = { home: ctx.home, argv0: program, now: sameMsDate(ctx.now) };
    const abort = new AbortController();
    const lines = planned.map((p): BatchLine =>
      p.message ? { line: p.line, message: p.message, ...(p.input ? { input: p.input } : {}) } : p.line,
    );
    // The tool scope carries the abort signal to every tool the batch starts (tool-scope.ts).
    const run = runInToolScope({ signal: abort.signal }, () =>
      runStockBatch(script, lines, {
        host,
        decide: (checkKeys) =>
          inOneLogWrite(() => ctx.store.transaction(() => decideAll(st, planned, checkKeys))),
        signal: abort.signal,
      }),
    );
    const result = await withLimit(run, ctx.limits.execMs);
    if (result === 'timeout') {
      abort.abort();
    }
    const endedAt = ctx.now();
    inOneLogWrite(() => {
      ctx.store.transaction(() => {
        const ends = planned.map((p, i) => {
          const o = result === 'timeout' ? 'timeout' : (result[i] ?? 'timeout');
          return recordOne(st, p, i, outcomeOf(p, o, startedAt, endedAt));
        });
        writeEnds(ctx, planned, ends);
      });
    });
    for (const p of planned) {
      settle(ctx, p);
      ctx.pollIntake?.();
    }
    if (result === 'timeout') {
      // The next batch of this program starts only once this one's OS work has settled: order.
      await run.catch(() => undefined);
    }
  } finally {
    for (const w of work) {
      // Settling twice is harmless (a promise settles once): this only catches what a throw skipped.
      w.done(undefined);
    }
  }
}
