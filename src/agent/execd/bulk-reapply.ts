/**
 * Re-applying many active responses of in-process stock scripts at once: after a reboot (the
 * kernel's sets and routes are empty) or for executions a crash interrupted. 100,000 responses are
 * a few bulk steps, not 100,000 executions' worth of work:
 *
 *   read    the targets (key, program, extra_args) in one query, messages not loaded into JS;
 *   act     the script's batch form, by key (one nft transaction; a failing element fails alone);
 *   record  ONE store transaction: one statement for the successes, one per failure.
 *
 * After a reboot the records are written once the batch has acted (start and outcome together):
 * the new boot id is stored only after the restore (agent-runtime.ts), so a crash before the
 * records are committed finds the old boot id at the next start and re-applies (and records)
 * again. Re-applies of interrupted executions (no reboot) have no such marker: their `running`
 * records are started in one transaction before acting, and ended in one after, so a crash
 * leaves them to be reconciled at the next start like any interrupted execution.
 *
 * The records are those of one re-apply each (same action, note and outcome). Skipped: the
 * per-execution script log lines (Starting / the message / Ended) in active-responses.log; one
 * line per batch is written instead. Re-applies of other programs go through the ordinary path.
 */
import type { ReapplyRecords, ReapplyTarget, StartedReapply } from '../../core/execd/agent-store.js';
import { appendArLog } from '../../scripts/contract/ar-log.js';
import type { StockBatchItem, StockBatchResult } from '../../scripts/contract/stock-batch.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { runInToolScope } from '../../scripts/contract/tool-scope.js';
import { stockScripts } from '../../scripts/registry.js';
import type { ExecutionEnd } from '../../protocol/execution-records.js';
import type { ScriptOutcome } from '../executor/spawn-script.js';
import type { ExecdContext } from './execd-context.js';
import { executionEnd } from './record-outcome.js';
import { withLimit } from '../../exec/with-limit.js';
import { programName } from '../../core/program-name.js';

/** A response to re-apply, and the note its execution record gets. */
export interface ReapplyRequest {
  readonly key: string;
  readonly note: string;
}

/** The stock programs (relative paths) whose re-applies can go through here. */
function bulkPrograms(ctx: ExecdContext): Map<string, StockScript> {
  const found = new Map<string, StockScript>();
  for (const s of stockScripts.values()) {
    const program = `active-response/bin/${s.name}`;
    const script = ctx.inProcessScript?.(program);
    if (script?.batch !== undefined && script.stateful) {
      found.set(program, script);
    }
  }
  return found;
}

/** The outcome of one re-apply of a batch form: its exit code, time-out and message. */
export function reapplyOutcome(
  exitCode: number | null,
  timedOut: boolean,
  stderrTail: string,
  at: [number, number],
): ScriptOutcome {
  return {
    exitCode,
    signal: null,
    timedOut,
    handshake: 'line',
    firstLine: undefined,
    reply: undefined,
    stderrTail,
    spawnError: undefined,
    startedAt: at[0],
    endedAt: at[1],
  };
}

/** One program's part of a bulk re-apply. */
interface ProgramBatch {
  readonly program: string;
  readonly script: StockScript;
  readonly note: string;
}

/**
 * Work the caller defers while a bulk re-apply is being prepared, to run during its OS operation
 * instead: `whileActing` is called once, right after the first batch form was started (its
 * synchronous part, i.e. building the transaction, is done; the main thread then only waits).
 */
export interface BulkReapplyHooks {
  readonly whileActing?: () => void;
}

/** Runs the batch form over `targets`; one result each, or 'timeout' for the whole batch. */
async function act(
  ctx: ExecdContext,
  { program, script, note }: ProgramBatch,
  targets: readonly ReapplyTarget[],
  hooks: BulkReapplyHooks,
): Promise<StockBatchResult[] | 'timeout'> {
  const host = { home: ctx.home, argv0: program, now: () => new Date(ctx.now()) };
  const log = (msg: string): void => {
    appendArLog(host, msg);
  };
  const prefix = `${programName(program)}-`;
  const results: StockBatchResult[] = new Array<StockBatchResult>(targets.length).fill(undefined);
  const items: StockBatchItem[] = [];
  const index: number[] = [];
  targets.forEach((t, i) => {
    if (!t.key.startsWith(prefix)) {
      results[i] = `Unable to run active response (key '${t.key}' is not one of ${program}).`;
      return;
    }
    index.push(i);
    items.push({ mode: 'add', ctx: { key: t.key.slice(prefix.length), extraArgs: t.extraArgs, log, host } });
  });
  log(`Re-applying ${items.length} active responses in one batch (${note})`);
  const abort = new AbortController();
  const run = Promise.resolve(
    runInToolScope({ signal: abort.signal }, () => script.batch?.(items, abort.signal) ?? []),
  );
  hooks.whileActing?.();
  const acted = await withLimit(run, ctx.limits.execMs);
  if (acted === 'timeout') {
    abort.abort();
    await run.catch(() => undefined); // the next work starts only once this OS work has settled
    return 'timeout';
  }
  acted.forEach((r, k) => {
    results[index[k] as number] = r;
  });
  const failed = results.filter((r) => r !== undefined).length;
  log(
    `Re-applied ${targets.length - failed} active responses${failed > 0 ? `, ${failed} failed` : ''} (${note})`,
  );
  ctx.log.info(
    `Re-applied ${targets.length - failed} active response(s) of ${program} in one batch (${note})${failed > 0 ? `; ${failed} failed` : ''}.`,
  );
  return results;
}

/** The end of each target's execution: successes share one. */
function ends(
  targets: readonly ReapplyTarget[],
  results: StockBatchResult[] | 'timeout',
  at: [number, number],
  note: string,
): { ok: ExecutionEnd; okIndex: number[]; others: { index: number; end: ExecutionEnd }[] } {
  const ok = executionEnd(reapplyOutcome(0, false, '', at), { note });
  if (results === 'timeout') {
    const end = executionEnd(reapplyOutcome(null, true, '', at), { note });
    return { ok, okIndex: [], others: targets.map((_, index) => ({ index, end })) };
  }
  const okIndex: number[] = [];
  const others: { index: number; end: ExecutionEnd }[] = [];
  results.forEach((r, index) => {
    if (r === undefined) {
      okIndex.push(index);
    } else {
      others.push({ index, end: executionEnd(reapplyOutcome(255, false, r, at), { note }) });
    }
  });
  return { ok, okIndex, others };
}

/** Reboot mode: acts, then records start and outcome together in one transaction. */
async function reapplyThenRecord(
  ctx: ExecdContext,
  batch: ProgramBatch,
  targets: readonly ReapplyTarget[],
  hooks: BulkReapplyHooks,
): Promise<number[]> {
  const { note } = batch;
  const startedAt = ctx.now();
  const results = await act(ctx, batch, targets, hooks);
  const { ok, okIndex, others } = ends(targets, results, [startedAt, ctx.now()], note);
  const keyAt = (i: number): string => (targets[i] as ReapplyTarget).key;
  const groups: ReapplyRecords[] = [
    { keys: okIndex.map(keyAt), startedAt, end: ok },
    ...others.map(({ index, end }) => ({ keys: [keyAt(index)], startedAt, end })),
  ];
  return ctx.store.recordReapplies(groups);
}

/** Interrupted mode: started (running) before acting, ended after. */
async function startThenReapply(
  ctx: ExecdContext,
  batch: ProgramBatch,
  started: readonly StartedReapply[],
  hooks: BulkReapplyHooks,
): Promise<number[]> {
  const { note } = batch;
  const startedAt = ctx.now();
  const results = await act(ctx, batch, started, hooks);
  const { ok, okIndex, others } = ends(started, results, [startedAt, ctx.now()], note);
  const idAt = (i: number): number => (started[i] as StartedReapply).id;
  ctx.store.transaction(() => {
    ctx.store.endExecutions(okIndex.map(idAt), ok);
    for (const { index, end } of others) {
      ctx.store.endExecution(idAt(index), end);
    }
  });
  return started.map((s) => s.id);
}

function byProgram<T extends ReapplyTarget>(targets: readonly T[]): Map<string, readonly T[]> {
  const first = targets[0]?.program;
  if (targets.every((t) => t.program === first)) {
    return new Map(first === undefined ? [] : [[first, targets]]); // one program: no copy
  }
  const groups = new Map<string, T[]>();
  for (const t of targets) {
    const list = groups.get(t.program) ?? [];
    list.push(t);
    groups.set(t.program, list);
  }
  return groups;
}

/**
 * Re-applies what it can of `requests` in bulk (see the module header); returns the requests left
 * for the ordinary path (other programs, or responses it found no longer active).
 */
export async function bulkReapply(
  ctx: ExecdContext,
  requests: readonly ReapplyRequest[],
  mode: 'after-reboot' | 'interrupted',
  hooks: BulkReapplyHooks = {},
): Promise<ReapplyRequest[]> {
  const programs = bulkPrograms(ctx);
  if (programs.size === 0 || requests.length === 0) {
    return [...requests];
  }
  for (const script of programs.values()) {
    // Probes the first run would wait for (which backend) start now, beside the store reads.
    script.warmUp?.();
  }
  const whileActing = hooks.whileActing;
  let called = false;
  const once: BulkReapplyHooks = {
    whileActing: () => {
      if (!called) {
        called = true;
        whileActing?.();
      }
    },
  };
  const byNote = new Map<string, string[]>();
  for (const r of requests) {
    const keys = byNote.get(r.note) ?? [];
    keys.push(r.key);
    byNote.set(r.note, keys);
  }
  const rest: ReapplyRequest[] = [];
  for (const [note, keys] of byNote) {
    rest.push(...(await reapplyNote(ctx, programs, { keys, note, mode }, once)));
  }
  return rest;
}

/** The requests of one note; returns those left for the ordinary path. */
async function reapplyNote(
  ctx: ExecdContext,
  programs: ReadonlyMap<string, StockScript>,
  { keys, note, mode }: { keys: readonly string[]; note: string; mode: 'after-reboot' | 'interrupted' },
  hooks: BulkReapplyHooks,
): Promise<ReapplyRequest[]> {
  const names = [...programs.keys()];
  const targets =
    mode === 'after-reboot'
      ? ctx.store.listReapplyTargets(keys, names)
      : ctx.store.startReapplies(keys, ctx.now(), names);
  // At most one target per key (listReapplyTargets): as many means every key was taken (a reboot).
  const taken = targets.length === keys.length ? undefined : new Set(targets.map((t) => t.key));
  const rest = taken === undefined ? [] : keys.filter((key) => !taken.has(key)).map((key) => ({ key, note }));
  for (const [program, list] of byProgram<ReapplyTarget | StartedReapply>(targets)) {
    const script = programs.get(program);
    if (!script) {
      continue;
    }
    const batch = { program, script, note };
    const ids =
      mode === 'after-reboot'
        ? await reapplyThenRecord(ctx, batch, list, hooks)
        : await startThenReapply(ctx, batch, list as StartedReapply[], hooks);
    for (const id of ids) {
      ctx.onExecution?.(id);
    }
  }
  return rest;
}
