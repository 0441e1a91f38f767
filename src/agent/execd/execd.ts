/**
 * The executor daemon's core: Wazuh's execd (reference §2) with ordering, time limits and
 * persistence. Messages come in through `submit` (from the execq socket, the manager in-process,
 * or the network link); executions run in a bounded pool, ordered per key; reverts are armed in
 * the scheduler from deadlines kept in the store.
 *
 * Every promise started here is tracked, so `idle()` and `stop()` can wait for them, and every
 * failure is logged, never thrown into the event loop.
 */
import { isDryRunMessage } from '../../protocol/ar-message.js';
import type { ActiveResponse } from '../../protocol/execution-records.js';
import { protectedTarget, type ProtectedAddresses } from '../../core/match/never-block.js';
import { getPath } from '../../protocol/json.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { KeyOrder } from '../key-order.js';
import { LaterReverts } from './later-reverts.js';
import { RevertScheduler } from '../revert-scheduler.js';
import { WorkPool } from '../work-pool.js';
import type { IntakeGate } from '../execq-socket.js';
import type { BuiltByExecd, ExecdContext } from './execd-context.js';
import { BatchQueue, LOCAL_ADD_BATCH_ITEMS, outsideWork } from './batch-queue.js';
import { intake } from './intake.js';
import { recordAbsent } from './record-absent.js';
import { batchItemsFor, runBatch, type BatchWork } from './run-batch.js';
import { runAdd, type AddJob, type AddResult } from './run-add.js';
import { runDelete, runReapply, type RevertReason, type RevertResult } from './run-delete.js';
import { bulkReapply, type ReapplyRequest } from './bulk-reapply.js';
import { adoptJoined, joinedTargets, reapplyJoined } from './joined-reapply.js';
import { reconcileSets, RestoreScan } from './restore-scan.js';
import { errorMessage } from '../../protocol/error-message.js';

/** Everything an ExecdContext holds but the parts Execd builds itself. */
export type ExecdOptions = Omit<ExecdContext, BuiltByExecd> & {
  /** Executions running at once. @default 16 */
  readonly poolSize?: number;
};

const NONE_PROTECTED: ProtectedAddresses = new Map();
/** Due reverts whose store read failed (an I/O error) are tried again this much later. */
const DUE_RETRY_MS = 5_000;

export interface RestoreSummary {
  readonly armed: number;
  readonly reverted: number;
  readonly reapplied: number;
  /** Executions a crash left running (recorded failed "interrupted"; their responses reconciled). */
  readonly interrupted: number;
}

export class Execd {
  private readonly ctx: ExecdContext;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** One batch queue per in-process program. */
  private readonly queues = new Map<string, BatchQueue<BatchWork>>();
  /** While a restore's bulk re-applies run: what every queue's batches wait for (`holding`). */
  private held: Promise<void> | undefined;
  private intakePoll: (() => void) | undefined;
  private intakeRoom: (() => void) | undefined;

  /**
   * The execq intake's gate (execq-socket.ts): datagrams wait there as text while an in-process
   * program already has a whole next batch of local adds queued, and are taken in as a batch starts.
   */
  readonly intakeGate: IntakeGate = {
    held: () => this.intakeFull(),
    onRoom: (resume) => {
      this.intakeRoom = resume;
    },
  };

  constructor(opts: ExecdOptions) {
    const scheduler = new RevertScheduler({
      now: opts.now,
      onDue: (keys) => {
        this.revertDue(keys);
      },
    });
    this.ctx = {
      ...opts,
      order: new KeyOrder(),
      pool: new WorkPool(opts.poolSize ?? 16),
      scheduler,
      laterReverts: new LaterReverts(opts.store),
      pollIntake: () => this.intakePoll?.(),
    };
  }

  /**
   * The scheduler's due keys. Same turn: the due reverts of one in-process program form one batch;
   * their programs are read in one statement, not one full row (with both messages) per key. A
   * store read that fails (an I/O error) arms the keys again a little later: never thrown into
   * the timer, never lost until the next start.
   */
  private revertDue(keys: string[]): void {
    let programs: (string | undefined)[];
    try {
      programs = this.ctx.store.programsOf(keys);
    } catch (err: unknown) {
      this.deferDue(keys, err);
      return;
    }
    keys.forEach((key, i) => {
      try {
        void this.revertOf(key, programs[i], 'timeout');
      } catch (err: unknown) {
        this.deferDue([key], err);
      }
    });
  }

  private deferDue(keys: readonly string[], err: unknown): void {
    const why = errorMessage(err);
    this.ctx.log.error(`${keys.length} due revert(s) deferred by ${DUE_RETRY_MS} ms: ${why}`);
    const at = this.ctx.now() + DUE_RETRY_MS;
    for (const key of keys) {
      this.ctx.scheduler.arm(key, at);
    }
  }

  /**
   * `start()` with its synchronous part guarded: a store that fails there (a full disk, an I/O
   * error) is logged and resolves undefined, like a failed execution, never a throw.
   */
  private guarded<T>(start: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      return start();
    } catch (err: unknown) {
      this.failed(err);
      return Promise.resolve(undefined);
    }
  }

  /** Logs an execution that failed (thrown or rejected); its result is then undefined. */
  private failed(err: unknown): void {
    this.ctx.log.error(`Execution failed: ${errorMessage(err)}`);
  }

  private intakeFull(): boolean {
    for (const queue of this.queues.values()) {
      if (queue.queued >= LOCAL_ADD_BATCH_ITEMS) {
        return true;
      }
    }
    return false;
  }

  /** The intake's poll (ExecqSocket.poll), which batch steps call while they run; see ExecdContext. */
  attachIntake(poll: () => void): void {
    this.intakePoll = poll;
  }

  /**
   * Takes one raw AR message; resolves when its execution is recorded (undefined if rejected).
   * `orderSeq`: the manager order it came from, recorded with the start record.
   */
  submit(raw: string, orderSeq?: number): Promise<AddResult | undefined> {
    return this.guarded(() => {
      const taken = intake(raw, this.ctx.resolver, this.ctx.log);
      const result =
        taken.ok && orderSeq !== undefined ? { ...taken, job: { ...taken.job, orderSeq } } : taken;
      if (!result.ok) {
        return Promise.resolve(
          result.reason === 'not-present' ? recordAbsent(this.ctx, result.job) : undefined,
        );
      }
      return this.runJob(result.job);
    });
  }

  /**
   * Runs an already-resolved add job, unless its target is an address no response may block
   * (loopback, unspecified, broadcast, this host, the manager link peer; issue 13.6): then it is
   * refused (logged, undefined) whatever started it (alert, API order, CLI, execq).
   */
  runJob(job: AddJob): Promise<AddResult | undefined> {
    const refusal = protectedTarget(getPath(job.message, ['parameters', 'alert']), this.protectedAddresses());
    if (refusal !== undefined) {
      this.ctx.log.warn(`Active response '${job.arName}' refused: ${refusal}.`);
      return Promise.resolve(undefined);
    }
    // A dry-run order runs alone through the dry-run executor, never in a real batch.
    const script = isDryRunMessage(job.message) ? undefined : this.ctx.inProcessScript?.(job.program);
    if (script) {
      return this.enqueue(job.program, script, (done) => ({ kind: 'add', job, done }));
    }
    return this.track(runAdd(this.ctx, job));
  }

  private protectedAddresses(): ProtectedAddresses {
    return this.ctx.protectedAddresses?.() ?? NONE_PROTECTED;
  }

  /**
   * Reverts one active response now. `orderSeq`: the manager's revert order it came from, recorded
   * with the delete's start record: an add order of the same key created before it and arriving
   * after it is then not applied (later-reverts.ts).
   */
  revert(key: string, reason: RevertReason = 'manual', orderSeq?: number): Promise<RevertResult | undefined> {
    return this.guarded(() => this.revertOf(key, this.ctx.store.getActive(key)?.program, reason, orderSeq));
  }

  /** Reverts `key`, whose stored response has program `stored` (undefined: none stored). */
  private revertOf(
    key: string,
    stored: string | undefined,
    reason: RevertReason,
    orderSeq?: number,
  ): Promise<RevertResult | undefined> {
    const program = stored ?? this.queuedProgramFor(key);
    const script = program === undefined ? undefined : this.ctx.inProcessScript?.(program);
    if (program !== undefined && script) {
      return this.enqueue(program, script, (done) => ({ kind: 'delete', key, reason, orderSeq, done }));
    }
    return this.track(runDelete(this.ctx, key, { reason, orderSeq }));
  }

  /** Reverts every active response now (in parallel across keys). */
  async revertAll(reason: RevertReason = 'manual'): Promise<(RevertResult | undefined)[]> {
    const keys = this.ctx.store.listActive().map((a) => a.key);
    return Promise.all(keys.map((k) => this.revert(k, reason)));
  }

  /**
   * Rebuilds the schedule from the store after a start: overdue responses are reverted now;
   * after a reboot the others are re-applied first; all remaining ones are armed for their
   * original deadline. Executions a crash (kill -9) left running are reconciled, so that "active"
   * means enforced: an interrupted add or re-apply whose response is listed active is re-applied
   * (its state on the host is unknown; stock scripts are idempotent); an interrupted delete whose
   * response is still listed is reverted again. An interrupted add that never reached its
   * decision left nothing active. In-process programs get one batch for each kind; their
   * re-applies go in bulk (bulk-reapply.ts: one transaction to start them all, one batch form
   * call, one transaction for the outcomes). `whileActing`, if given, is called once while that
   * bulk re-apply's OS operation is under way (not at all without one): the caller's deferred
   * start-up work runs there instead of before it. Work queued for an in-process program during
   * the bulk re-applies (a revert falling due, an add taken in) acts once they are recorded.
   */
  async restore(rebooted: boolean, whileActing?: () => void): Promise<RestoreSummary> {
    const interrupted = this.ctx.store.failRunningExecutions(this.ctx.now());
    if (interrupted.length > 0) {
      this.ctx.log.warn(`${interrupted.length} execution(s) were interrupted by the previous stop.`);
    }
    const { reapply: reconcileAdds, revert: reconcileDeletes } = reconcileSets(interrupted);
    const now = this.ctx.now();
    // The deadlines are read (and the overdue reverted) when first needed: after a reboot, once
    // the first re-apply's transaction is under way, so that its 100,000 keys are not in the way.
    const scan = new RestoreScan(this.ctx, { rebooted, now, reconcileAdds, reconcileDeletes }, (key) =>
      this.revert(key, 'restore'),
    );
    // Arming (a Map of every key) waits until a re-apply's transaction is under way too. Nothing can
    // fall due unnoticed meanwhile: the timer, once aimed, fires for every deadline already past.
    let deferred = whileActing;
    const hooks = {
      whileActing: (): void => {
        scan.arm();
        const run = deferred;
        deferred = undefined;
        run?.();
      },
    };
    const scope = { liveAfter: now, excluded: [...reconcileDeletes] };
    // The bulk re-applies act outside the programs' batch queues: see `holding`.
    const bulk = await this.holding(async () => {
      const joined = rebooted
        ? await reapplyJoined(this.ctx, scope, joinedTargets(this.ctx), hooks)
        : await adoptJoined(this.ctx, scope, joinedTargets(this.ctx));
      const reapply: ReapplyRequest[] = rebooted
        ? this.ctx.store
            .otherReapplyKeys(scope, joined.taken)
            .map((key) => ({ key, note: 're-applied after reboot' }))
        : scan.interruptedAdds();
      const mode = rebooted ? 'after-reboot' : 'interrupted';
      return {
        count: joined.count + reapply.length,
        rest: await bulkReapply(this.ctx, reapply, mode, hooks),
      };
    });
    scan.arm();
    await Promise.all(bulk.rest.map(({ key, note }) => this.reapply(key, note)));
    return { ...scan.summary(), reapplied: bulk.count, interrupted: interrupted.length };
  }

  /**
   * Runs `reapplies` (a restore's bulk re-applies, which act outside the batch queues) with every
   * in-process program's batches held until it has settled, those of queues created meanwhile
   * too. What is queued during it (a revert falling due, as `whileActing` armed the deadlines; an
   * add taken in) acts only once the re-adds are done and recorded: per-key order, as the queue
   * keeps it. Otherwise a revert could act beside its key's re-add, and a backend that lists,
   * then writes (route-null) would find nothing to remove: the block would stay, the store would
   * say reverted. A batch already running is not waited for.
   */
  private async holding<T>(reapplies: () => Promise<T>): Promise<T> {
    const { work: held, done } = outsideWork();
    this.held = held;
    for (const queue of this.queues.values()) {
      queue.after(held);
    }
    try {
      return await reapplies();
    } finally {
      this.held = undefined;
      done();
    }
  }

  /** Re-applies one active response (after a reboot or an interrupted execution). */
  private reapply(key: string, note: string): Promise<number | undefined> {
    const active = this.ctx.store.getActive(key);
    if (!active) {
      return Promise.resolve(undefined);
    }
    const script = this.ctx.inProcessScript?.(active.program);
    if (script) {
      return this.enqueue(active.program, script, (done) => ({ kind: 'reapply', key, note, done }));
    }
    return this.track(runReapply(this.ctx, active, note));
  }

  /** The batch queue of an in-process program, created at its first use. */
  private queueFor(program: string, script: StockScript): BatchQueue<BatchWork> {
    let queue = this.queues.get(program);
    if (!queue) {
      queue = new BatchQueue<BatchWork>(
        (items) => runBatch(this.ctx, program, script, items),
        (err, items) => {
          this.ctx.log.error(`Execution failed: ${errorMessage(err)}`);
          for (const w of items) {
            w.done(undefined);
          }
        },
        batchItemsFor,
        () => this.intakeRoom?.(),
      );
      if (this.held !== undefined) {
        queue.after(this.held);
      }
      this.queues.set(program, queue);
    }
    return queue;
  }

  /** Queues work for an in-process program; resolves when it is recorded. */
  private enqueue<T>(
    program: string,
    script: StockScript,
    make: (done: (r: T | undefined) => void) => BatchWork,
  ): Promise<T | undefined> {
    const queue = this.queueFor(program, script);
    // One promise per execution, settled by its batch and never rejected (runBatch settles every
    // item in `finally`), so no catch/finally chain (two more promises per execution of a burst).
    let resolve: (r: T | undefined) => void = () => undefined;
    const settled = new Promise<T | undefined>((r) => {
      resolve = r;
    });
    const done = (r: T | undefined): void => {
      this.inFlight.delete(settled);
      resolve(r);
    };
    this.inFlight.add(settled);
    try {
      queue.push(make(done));
    } catch (err) {
      this.ctx.log.error(`Execution failed: ${errorMessage(err)}`);
      done(undefined);
    }
    return settled;
  }

  /**
   * The in-process program with queued work whose responses `key` belongs to (rkeys start with the
   * program's basename): a revert of a key whose add waits in the same queue goes behind it.
   */
  private queuedProgramFor(key: string): string | undefined {
    for (const [program, queue] of this.queues) {
      const base = program.slice(program.lastIndexOf('/') + 1);
      if (queue.busy && (key === base || key.startsWith(`${base}-`))) {
        return program;
      }
    }
    return undefined;
  }

  listActive(): ActiveResponse[] {
    return this.ctx.store.listActive();
  }

  /** Number of armed reverts (tests, metrics). */
  get armed(): number {
    return this.ctx.scheduler.size;
  }

  /** Resolves when nothing is running or queued. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Stops the scheduler, waits for running executions; with `revert`, reverts everything first (Wazuh's 1314). */
  async stop(revert: boolean): Promise<void> {
    if (revert) {
      this.ctx.log.info('(1314): Shutdown received. Deleting responses.');
      await this.revertAll('stop');
    }
    this.ctx.scheduler.stop();
    await this.idle();
  }

  private track<T>(p: Promise<T>): Promise<T | undefined> {
    const settled = p.catch((err: unknown) => {
      this.failed(err);
      return undefined;
    });
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    return settled;
  }
}
