/**
 * The plan step of a batch (run-batch.ts), without I/O but store reads: each execution's line, in
 * order. Deletes and re-applies see the state the earlier executions of the same batch leave: a
 * delete after an add of the same key deletes what that add creates. Work that needs no execution
 * (a revert of a key no longer active, a timeout revert whose deadline moved) is settled here; its
 * one write: a revert order that finds nothing active is marked (LaterReverts.foundNothing), unless
 * an untracked add of its key comes earlier in the batch (then it is marked at its decision).
 */
import { isDue } from '../../core/execd/due-reverts.js';
import type { AddDecision } from '../../core/execd/decide-add.js';
import type { ActiveResponse } from '../../protocol/execution-records.js';
import {
  isArEnvelope,
  lineWithCommand,
  responseKey,
  rewriteForScript,
  withCommand,
  type ArEnvelope,
} from '../../protocol/ar-message.js';
import { isJsonObject, parseLenientJson } from '../../protocol/json.js';
import type { StockInputResult, StockScript } from '../../scripts/contract/stock-script.js';
import type { ExecdContext } from './execd-context.js';
import { addStart } from './execution-start.js';
import { failedEnd, type AddJob, type AddResult } from './run-add.js';
import type { RevertReason, RevertResult } from './run-delete.js';
import { errorMessage } from '../../protocol/error-message.js';
import { DEFAULT_MAX_BATCH_ITEMS, LOCAL_ADD_BATCH_ITEMS } from './batch-queue.js';
import { programName } from '../../core/program-name.js';

/** One unit of work queued for an in-process program; `done` settles its caller's promise. */
export type BatchWork =
  | { readonly kind: 'add'; readonly job: AddJob; readonly done: (r: AddResult | undefined) => void }
  | {
      readonly kind: 'delete';
      readonly key: string;
      readonly reason: RevertReason;
      /** The manager's revert order it came from, if any (recorded with its start). */
      readonly orderSeq?: number | undefined;
      readonly done: (r: RevertResult | undefined) => void;
    }
  | {
      readonly kind: 'reapply';
      readonly key: string;
      readonly note: string;
      readonly done: (id: number | undefined) => void;
    };

/** Most executions in a batch that begins with `first`: fewer when it is a local add (batch-queue.ts). */
export function batchItemsFor(first: BatchWork): number {
  return first.kind === 'add' && first.job.orderSeq === undefined
    ? LOCAL_ADD_BATCH_ITEMS
    : DEFAULT_MAX_BATCH_ITEMS;
}

/** An execution that goes to the script, with what the batch decided for it. */
export interface Planned {
  readonly work: BatchWork;
  readonly line: string;
  /** delete/re-apply: the response acted on (as stored when planned; undefined for an in-batch add). */
  readonly active: ActiveResponse | undefined;
  /** add: the message `line` serialises, and the script's input() on it (the skeleton reuses both). */
  message?: ArEnvelope;
  input?: StockInputResult;
  /**
   * add: the stored response read for its key while planning (undefined: not read). The decide
   * step runs in the same synchronous step, so it reuses the read unless the batch wrote the key.
   */
  stored?: { readonly key: string; readonly active: ActiveResponse | undefined };
  /** add: its own delete line, when planning already serialised it. */
  deleteMessage?: string;
  executionId?: number;
  key?: string;
  decision?: AddDecision;
  /** delete: the response its decide step found (the record step logs it when it removes the row). */
  reverting?: ActiveResponse;
}

/** What the earlier executions of the batch leave for a key: its delete line, or null once deleted. */
interface ViewEntry {
  readonly deleteMessage: string;
  readonly inBatchAdd: boolean;
}
type View = Map<string, ViewEntry | null>;

export const NOT_REVERTED: RevertResult = { executionId: undefined, reverted: false };

/** The stored add message rewritten as `command` (add for the script, continue for its handshake). */
export function reapplyLine(active: ActiveResponse, command: 'add' | 'continue'): string {
  const parsed = parseLenientJson(active.addMessage);
  return isJsonObject(parsed)
    ? JSON.stringify(rewriteForScript(parsed, command, active.program))
    : active.addMessage;
}

/**
 * An add's line, message and input; `key`: its response key when it is tracked (stateful, timeout);
 * `untrackedKey`: its key when it has one but is not tracked (stateful, timeout 0).
 */
interface PreparedAdd {
  readonly p: Planned;
  readonly key: string | undefined;
  readonly untrackedKey?: string | undefined;
}

/** What an add needs before the batch's stored responses are read (no store access). */
function prepareAdd(script: StockScript, w: BatchWork & { kind: 'add' }): PreparedAdd {
  const { job } = w;
  const message = rewriteForScript(job.message, 'add', job.program);
  const p: Planned = { work: w, line: JSON.stringify(message), active: undefined };
  if (!isArEnvelope(message)) {
    return { p, key: undefined };
  }
  const input = script.input(message);
  p.message = message;
  p.input = input;
  if (!script.stateful || !input.ok) {
    return { p, key: undefined };
  }
  const key = responseKey(programName(job.program), input.key === undefined ? [] : [input.key]);
  return job.timeoutSec > 0 ? { p, key } : { p, key: undefined, untrackedKey: key };
}

/** Stored responses by key, read once for the whole batch (plan writes no active response). */
type Stored = ReadonlyMap<string, ActiveResponse>;

/**
 * The delete line of an add whose line serialises `message`: the same text as
 * rewriteForScript(job.message, 'delete', program), since only `command` differs.
 */
function addDeleteLine(line: string, message: ArEnvelope): string {
  return lineWithCommand(line, 'delete') ?? JSON.stringify(withCommand(message, 'delete'));
}

function planAdd({ p, key }: PreparedAdd, view: View, stored: Stored): Planned {
  if (key === undefined || p.message === undefined) {
    return p;
  }
  let before: ViewEntry | ActiveResponse | null | undefined;
  if (view.has(key)) {
    before = view.get(key);
  } else {
    before = stored.get(key);
    p.stored = { key, active: before };
  }
  let deleteMessage = before?.deleteMessage;
  if (deleteMessage === undefined) {
    deleteMessage = addDeleteLine(p.line, p.message);
    p.deleteMessage = deleteMessage;
  }
  view.set(key, { deleteMessage, inBatchAdd: true });
  return p;
}

/** True when a timeout revert has nothing to do now (the deadline moved); re-arms it then. */
function deadlineMoved(
  ctx: ExecdContext,
  inBatch: ViewEntry | undefined,
  stored: ActiveResponse | undefined,
): boolean {
  // A repeat that arrived meanwhile (earlier in this batch, or stored) moved the deadline.
  if (inBatch?.inBatchAdd === true) {
    return true;
  }
  if (stored && !isDue(stored, ctx.now())) {
    ctx.scheduler.arm(stored.key, stored.expiresAt);
    return true;
  }
  return false;
}

/**
 * What planning has seen so far: the batch's view, the stored responses, and the latest untracked
 * add (timeout 0) of the batch by its key.
 */
interface Seen {
  readonly view: View;
  readonly stored: Stored;
  readonly untracked: Map<string, UntrackedAdd>;
}

interface UntrackedAdd {
  readonly line: string;
  readonly message: ArEnvelope;
}

function planDelete(ctx: ExecdContext, w: BatchWork & { kind: 'delete' }, seen: Seen): Planned | undefined {
  const { view } = seen;
  const inBatch = view.get(w.key);
  const stored = view.has(w.key) ? undefined : seen.stored.get(w.key);
  const line = inBatch?.deleteMessage ?? stored?.deleteMessage;
  if (line === undefined) {
    const untrackedAdd = w.orderSeq === undefined ? undefined : seen.untracked.get(w.key);
    if (untrackedAdd !== undefined) {
      // An untracked add of the key came earlier in this batch: the revert order is decided at its
      // place, after that add (decideOne: nothing active, marked there, NOT_RUN: no line logged),
      // so the add is not superseded by it, as one by one.
      view.set(w.key, null);
      return { work: w, line: addDeleteLine(untrackedAdd.line, untrackedAdd.message), active: undefined };
    }
    // A revert order finding nothing active is still marked, before this batch's adds decide.
    ctx.laterReverts.foundNothing(w.key, w.orderSeq, ctx.now());
  }
  if (line === undefined || (w.reason === 'timeout' && deadlineMoved(ctx, inBatch ?? undefined, stored))) {
    w.done(NOT_REVERTED);
    return undefined;
  }
  view.set(w.key, null);
  return { work: w, line, active: stored };
}

function planOther(
  ctx: ExecdContext,
  w: BatchWork & { kind: 'delete' | 'reapply' },
  seen: Seen,
): Planned | undefined {
  if (w.kind === 'delete') {
    return planDelete(ctx, w, seen);
  }
  const active = seen.view.has(w.key) ? undefined : seen.stored.get(w.key);
  if (!active) {
    w.done(undefined);
    return undefined;
  }
  return { work: w, line: reapplyLine(active, 'add'), active };
}

/** Plans an add; notes the key of an untracked one (see {@link Seen}). */
function planAddSeen(pre: PreparedAdd, seen: Seen): Planned {
  const p = planAdd(pre, seen.view, seen.stored);
  if (pre.untrackedKey !== undefined && p.message !== undefined) {
    seen.untracked.set(pre.untrackedKey, { line: p.line, message: p.message });
  }
  return p;
}

/** Each add's preparation (or what it threw), undefined for other work. */
function prepareAll(
  script: StockScript,
  work: readonly BatchWork[],
): (PreparedAdd | { readonly error: unknown } | undefined)[] {
  return work.map((w) => {
    if (w.kind !== 'add') {
      return undefined;
    }
    try {
      return prepareAdd(script, w);
    } catch (error) {
      return { error };
    }
  });
}

/** The stored responses of every key the batch touches, in one read. */
function readStored(
  ctx: ExecdContext,
  work: readonly BatchWork[],
  prepared: readonly (PreparedAdd | { readonly error: unknown } | undefined)[],
): Stored {
  const keys: string[] = [];
  work.forEach((w, i) => {
    const pre = prepared[i];
    const key = w.kind !== 'add' ? w.key : pre !== undefined && 'key' in pre ? pre.key : undefined;
    if (key !== undefined) {
      keys.push(key);
    }
  });
  const found = new Map<string, ActiveResponse>();
  for (const active of ctx.store.getActives(keys)) {
    found.set(active.key, active);
  }
  return found;
}

/** Each execution's line, in order; work that needs no execution is settled here. */
export function plan(ctx: ExecdContext, script: StockScript, work: readonly BatchWork[]): Planned[] {
  const planned: Planned[] = [];
  const prepared = prepareAll(script, work);
  let stored: Stored;
  try {
    stored = readStored(ctx, work, prepared);
  } catch (err) {
    // As when each execution's own read failed: each is refused (an add recorded as failed).
    work.forEach((w) => {
      rejectOne(ctx, w, err);
    });
    return [];
  }
  const seen: Seen = { view: new Map(), stored, untracked: new Map() };
  work.forEach((w, i) => {
    ctx.pollIntake?.();
    const pre = prepared[i];
    if (pre !== undefined && 'error' in pre) {
      // This execution alone is refused (e.g. a message too deep to serialise); the rest go on.
      rejectOne(ctx, w, pre.error);
      return;
    }
    try {
      const p = w.kind === 'add' ? pre && planAddSeen(pre, seen) : planOther(ctx, w, seen);
      if (p) {
        planned.push(p);
      }
    } catch (err) {
      rejectOne(ctx, w, err);
    }
  });
  return planned;
}

/** Records an add that could not even be planned, as failed. */
function rejectOne(ctx: ExecdContext, w: BatchWork, err: unknown): void {
  ctx.log.error(`Execution failed: ${errorMessage(err)}`);
  if (w.kind !== 'add') {
    w.done(undefined);
    return;
  }
  const id = ctx.store.transaction(() => {
    const executionId = ctx.store.startExecution(addStart(ctx, w.job));
    ctx.store.endExecution(executionId, failedEnd(ctx, err, undefined));
    return executionId;
  });
  ctx.onExecution?.(id);
  w.done({ executionId: id, key: undefined, decision: 'none' });
}
