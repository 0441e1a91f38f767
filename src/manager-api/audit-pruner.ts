/**
 * Deletes the audit trail's entries older than `keepMs` (core/audit-retention.ts), a run at most
 * every `everyMs`, started by the audit hook after an append: no timer of its own (the manager's
 * one timer is manager/order-scheduler.ts, and a trail nothing appends to does not grow). A run
 * calls AuditLog.prune in chunks of PRUNE_CHUNK (manager/prune-chunks.ts, as the order history's
 * runs) until a chunk is not full. On a cluster the trail is shared and only the node holding the
 * timers' lease (`isLeader`, runtime/cluster-node.ts) prunes it, as it alone runs the order
 * history's runs: a node off the lease starts no run, and a run stops between chunks when its node
 * loses the lease.
 */
import type { AuditLog } from '../core/api-access-store.js';
import { auditPruneDue } from '../core/audit-retention.js';
import { DEFAULT_PRUNE_EVERY_MS, PRUNE_CHUNK, historyCutoff } from '../core/orders/history-retention.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { pruneInChunks } from '../manager/prune-chunks.js';
import { errorMessage } from '../protocol/error-message.js';

export interface AuditRetention {
  /** How long entries are kept, ms. */
  readonly keepMs: number;
  /** Least time between the starts of two runs, ms. @default 10 min */
  readonly everyMs?: number;
}

export interface AuditPruner {
  /** Starts a run when one is due at `now` and none is running. Never throws (failures are logged). */
  poke(now: number): void;
  /** Resolves once no run is in progress. */
  idle(): Promise<void>;
}

export interface AuditPrunerOptions {
  readonly log: DaemonLog;
  readonly onPruned?: (count: number) => void;
  /**
   * On a cluster node: whether it holds the timers' lease now. Off the lease no run starts, and a
   * run in progress stops before its next chunk. Absent: a single manager, always.
   */
  readonly isLeader?: () => boolean;
}

/**
 * Deletes, chunk by chunk (manager/prune-chunks.ts), every entry before `before`, or fewer when
 * `goOn` turns false between chunks; resolves to how many.
 */
async function pruneRun(audit: AuditLog, before: number, goOn: () => boolean): Promise<number> {
  const chunks = await pruneInChunks(
    async () => audit.prune(before, PRUNE_CHUNK),
    (n) => n >= PRUNE_CHUNK,
    goOn,
  );
  return chunks.reduce((sum, n) => sum + n, 0);
}

export function createAuditPruner(
  audit: AuditLog,
  retention: AuditRetention,
  opts: AuditPrunerOptions,
): AuditPruner {
  const everyMs = retention.everyMs ?? DEFAULT_PRUNE_EVERY_MS;
  const onLease = (): boolean => opts.isLeader?.() !== false;
  let lastRunAt: number | undefined;
  let running: Promise<void> | undefined;
  const run = async (now: number): Promise<void> => {
    const before = historyCutoff(now, retention.keepMs);
    try {
      const deleted = await pruneRun(audit, before, onLease);
      if (deleted > 0) {
        opts.log.info('audit trail pruned', { deleted, before: new Date(before).toISOString() });
        opts.onPruned?.(deleted);
      }
    } catch (err: unknown) {
      opts.log.error('audit trail pruning failed', {
        error: errorMessage(err),
      });
    }
  };
  return {
    poke(now) {
      if (running !== undefined || !onLease() || !auditPruneDue(now, lastRunAt, everyMs)) {
        return;
      }
      lastRunAt = now;
      running = run(now).finally(() => {
        running = undefined;
      });
    },
    idle: async () => {
      await running;
    },
  };
}
