/**
 * The executor daemon's core: Wazuh's execd (reference §2) with ordering, time limits and
 * persistence. Messages come in through `submit` (from the execq socket, the manager in-process,
 * or the network link); executions run in a bounded pool, ordered per key; reverts are armed in
 * the scheduler from deadlines kept in the store.
 *
 * Every promise started here is tracked, so `idle()` and `stop()` can wait for them, and every
 * failure is logged, never thrown into the event loop.
 */
import { restoreAction } from '../../core/execd/due-reverts.js';
import type { ActiveResponse } from '../../protocol/execution-records.js';
import { protectedTarget, type ProtectedAddresses } from '../../core/match/never-block.js';
import { getPath } from '../../protocol/json.js';
import { KeyOrder } from '../key-order.js';
import { RevertScheduler } from '../revert-scheduler.js';
import { WorkPool } from '../work-pool.js';
import type { ExecdContext } from './execd-context.js';
import { intake } from './intake.js';
import { runAdd, type AddJob, type AddResult } from './run-add.js';
import { runDelete, runReapply, type RevertReason, type RevertResult } from './run-delete.js';

/** Everything an ExecdContext holds but the parts Execd builds itself (order, pool, scheduler). */
export type ExecdOptions = Omit<ExecdContext, 'order' | 'pool' | 'scheduler'> & {
  /** Executions running at once. @default 16 */
  readonly poolSize?: number;
};

const NONE_PROTECTED: ProtectedAddresses = new Map();

export interface RestoreSummary {
  readonly armed: number;
  readonly reverted: number;
  readonly reapplied: number;
}

export class Execd {
  private readonly ctx: ExecdContext;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(opts: ExecdOptions) {
    const scheduler = new RevertScheduler({
      now: opts.now,
      onDue: (keys) => {
        for (const key of keys) {
          void this.track(runDelete(this.ctx, key, 'timeout'));
        }
      },
    });
    this.ctx = {
      ...opts,
      order: new KeyOrder(),
      pool: new WorkPool(opts.poolSize ?? 16),
      scheduler,
    };
  }

  /** Takes one raw AR message; resolves when its execution is recorded (undefined if rejected). */
  submit(raw: string): Promise<AddResult | undefined> {
    const result = intake(raw, this.ctx.resolver, this.ctx.log);
    return result.ok ? this.runJob(result.job) : Promise.resolve(undefined);
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
    return this.track(runAdd(this.ctx, job));
  }

  private protectedAddresses(): ProtectedAddresses {
    return this.ctx.protectedAddresses?.() ?? NONE_PROTECTED;
  }

  /** Reverts one active response now. */
  revert(key: string, reason: RevertReason = 'manual'): Promise<RevertResult | undefined> {
    return this.track(runDelete(this.ctx, key, reason));
  }

  /** Reverts every active response now (in parallel across keys). */
  async revertAll(reason: RevertReason = 'manual'): Promise<(RevertResult | undefined)[]> {
    const keys = this.ctx.store.listActive().map((a) => a.key);
    return Promise.all(keys.map((k) => this.revert(k, reason)));
  }

  /**
   * Rebuilds the schedule from the store after a start: overdue responses are reverted now;
   * after a reboot the others are re-applied first; all remaining ones are armed for their
   * original deadline.
   */
  async restore(rebooted: boolean): Promise<RestoreSummary> {
    const interrupted = this.ctx.store.failRunningExecutions(this.ctx.now());
    if (interrupted > 0) {
      this.ctx.log.warn(`${interrupted} execution(s) were interrupted by the previous stop.`);
    }
    const now = this.ctx.now();
    const summary = { armed: 0, reverted: 0, reapplied: 0 };
    const reapply: string[] = [];
    for (const { key, expiresAt } of this.ctx.store.listDeadlines()) {
      const action = restoreAction({ expiresAt }, rebooted, now);
      if (action === 'revert-now') {
        summary.reverted++;
        void this.revert(key, 'restore');
      } else {
        summary.armed++;
        this.ctx.scheduler.arm(key, expiresAt);
        if (action === 'reapply-then-arm') {
          reapply.push(key);
        }
      }
    }
    summary.reapplied = reapply.length;
    await Promise.all(
      reapply.map((key) => {
        const active = this.ctx.store.getActive(key);
        return active ? this.track(runReapply(this.ctx, active)) : Promise.resolve(undefined);
      }),
    );
    return summary;
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
    const guarded = p.catch((err: unknown) => {
      this.ctx.log.error(`Execution failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
    return guarded;
  }
}
