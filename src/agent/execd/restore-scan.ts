/**
 * The deadlines part of a restore (Execd.restore): one read of every key and deadline, which
 * starts the reverts due now (and those of interrupted deletes), notes the interrupted adds to
 * re-apply (same boot), then arms every other deadline. Read when first needed, once: after a
 * reboot that is once the re-apply's transaction is under way, so its 100,000 keys are read (and
 * the heap filled) while the kernel works, not before. Also which keys the executions a crash
 * interrupted leave to re-apply or to revert again (reconcileSets).
 */
import type { Deadlines, InterruptedExecution } from '../../core/execd/agent-store.js';
import { withoutRows } from '../../core/execd/deadline-columns.js';
import { restoreAction } from '../../core/execd/due-reverts.js';
import type { ReapplyRequest } from './bulk-reapply.js';
import type { ExecdContext } from './execd-context.js';

export interface RestoreFacts {
  readonly rebooted: boolean;
  readonly now: number;
  /** Keys whose interrupted add or re-apply is to be done again. */
  readonly reconcileAdds: ReadonlySet<string>;
  /** Keys whose interrupted delete is to be done again (reverted now, whatever their deadline). */
  readonly reconcileDeletes: ReadonlySet<string>;
}

export class RestoreScan {
  private read: Deadlines | undefined;
  private readonly revertedRows: number[] = [];
  private readonly adds: ReapplyRequest[] = [];
  private armed = false;

  constructor(
    private readonly ctx: ExecdContext,
    private readonly facts: RestoreFacts,
    private readonly revert: (key: string) => Promise<unknown>,
  ) {}

  private deadlines(): Deadlines {
    if (this.read !== undefined) {
      return this.read;
    }
    const read = this.ctx.store.listDeadlines();
    this.read = read;
    const { rebooted, now, reconcileAdds, reconcileDeletes } = this.facts;
    read.keys.forEach((key, i) => {
      const expiresAt = read.expiresAt[i] as number;
      const action = reconcileDeletes.has(key) ? 'revert-now' : restoreAction({ expiresAt }, rebooted, now);
      if (action === 'revert-now') {
        this.revertedRows.push(i);
        void this.revert(key);
      } else if (action === 'arm' && reconcileAdds.has(key)) {
        this.adds.push({ key, note: 're-applied: its execution was interrupted' });
      }
    });
    return read;
  }

  /** The interrupted adds to re-apply (same boot; after a reboot every live response is). */
  interruptedAdds(): ReapplyRequest[] {
    this.deadlines();
    return this.adds;
  }

  /** Arms every deadline but the reverted ones (once; the scheduler takes the arrays over). */
  arm(): void {
    if (this.armed) {
      return;
    }
    this.armed = true;
    const rows = withoutRows(this.deadlines(), this.revertedRows);
    this.ctx.scheduler.armMany(rows.keys, rows.expiresAt);
  }

  summary(): { armed: number; reverted: number } {
    const read = this.deadlines();
    return { armed: read.keys.length - this.revertedRows.length, reverted: this.revertedRows.length };
  }
}

/** Keys to re-apply (interrupted add/re-apply) and to revert again (interrupted delete). */
export function reconcileSets(interrupted: readonly InterruptedExecution[]): {
  reapply: Set<string>;
  revert: Set<string>;
} {
  const reapply = new Set<string>();
  const revert = new Set<string>();
  for (const e of interrupted) {
    if (e.key === undefined) {
      continue;
    }
    if (e.action === 'delete') {
      revert.add(e.key);
      reapply.delete(e.key);
    } else {
      reapply.add(e.key);
      revert.delete(e.key);
    }
  }
  return { reapply, revert };
}
