/**
 * What a store does when its disk is full (issue #13 finding 5). SQLite answers SQLITE_FULL and
 * rolls the transaction back; without care an execution whose script already ran (the address IS
 * blocked) keeps status `running` and is later reported `failed: interrupted`, i.e. not applied.
 *
 * The guard wraps a store so that:
 *  - the outcome of an execution (`endExecution`) that cannot be written is kept in memory and
 *    written as soon as a later write succeeds, and reads (`getExecution(s)`, `listExecutions(After)`) show it
 *    meanwhile, so the API never reports an applied execution as running or interrupted;
 *  - any other write that fails for lack of space throws STORE_FULL naming the file (the caller
 *    does not apply what it could not record);
 *  - every full/recovered transition is reported to {@link StorageHealth} (metrics, log lines).
 * A Proxy, so methods added to the store later are guarded too.
 */
import type { AgentStore } from '../core/execd/agent-store.js';
import type { ExecutionEnd, ExecutionRecord } from '../protocol/execution-records.js';
import { isDiskFullError, storageHealth, type StorageHealth } from '../log/storage-health.js';
import { storeError } from './open-database.js';

/** Methods that only read: their success says nothing about free space. */
const READS = new Set([
  'getActive',
  'getActives',
  'getReportedActives',
  'programsOf',
  'listActive',
  'countActive',
  'listDeadlines',
  'joinedReapplyKeys',
  'otherReapplyKeys',
  'getOffenderCount',
  'getExecution',
  'getExecutions',
  'listExecutions',
  'listEndedExecutionsAfter',
  'runningExecutionIds',
  'maxOrderSeq',
  'revertOrderAfter',
  'orderSeqsOf',
  'getSetting',
]);

function overlay(rec: ExecutionRecord, end: ExecutionEnd | undefined): ExecutionRecord {
  return end === undefined ? rec : { ...rec, ...end };
}

class Guard {
  /** Outcomes not yet written, by execution id, oldest first. */
  readonly pending = new Map<number, ExecutionEnd>();

  constructor(
    readonly store: AgentStore,
    readonly file: string,
    readonly health: StorageHealth,
  ) {}

  /** Runs `fn`; on success writes what was pending; on a full disk reports it. */
  call<T>(fn: () => T, writes: boolean): T {
    let result: T;
    try {
      result = fn();
    } catch (err) {
      throw this.failed(err);
    }
    if (writes) {
      this.health.reportWritten(this.file);
    }
    this.flushPending();
    return result;
  }

  endExecution(id: number, end: ExecutionEnd): void {
    this.endExecutions([id], end);
  }

  endExecutions(ids: readonly number[], end: ExecutionEnd): void {
    try {
      if (ids.length === 1) {
        this.store.endExecution(ids[0] as number, end);
      } else {
        this.store.endExecutions(ids, end);
      }
    } catch (err) {
      if (!isDiskFullError(err)) {
        throw storeError(this.file, err);
      }
      this.health.reportFull(this.file, 'SQLITE_FULL');
      for (const id of ids) {
        this.pending.set(id, end);
      }
      this.health.setDeferredStoreWrites(this.pending.size);
      return;
    }
    this.flushPending();
  }

  private failed(err: unknown): unknown {
    if (isDiskFullError(err)) {
      this.health.reportFull(this.file, 'SQLITE_FULL');
    }
    return storeError(this.file, err);
  }

  private flushPending(): void {
    if (this.pending.size === 0) {
      return;
    }
    for (const [id, end] of this.pending) {
      try {
        this.store.endExecution(id, end);
      } catch {
        return; // still full: keep it for the next successful write
      }
      this.pending.delete(id);
      this.health.setDeferredStoreWrites(this.pending.size);
    }
    this.health.reportWritten(this.file);
  }
}

/** Wraps `store` (backed by `file`) with the disk-full behaviour described above. */
export function guardDiskFull(
  store: AgentStore,
  file: string,
  health: StorageHealth = storageHealth,
): AgentStore {
  const g = new Guard(store, file, health);
  const special: Partial<Record<keyof AgentStore, unknown>> = {
    endExecution: (id: number, end: ExecutionEnd) => {
      g.endExecution(id, end);
    },
    endExecutions: (ids: readonly number[], end: ExecutionEnd) => {
      g.endExecutions(ids, end);
    },
    getExecution: (id: number) => {
      const rec = g.call(() => store.getExecution(id), false);
      return rec === undefined ? undefined : overlay(rec, g.pending.get(id));
    },
    listExecutions: (...args: Parameters<AgentStore['listExecutions']>) =>
      g.call(() => store.listExecutions(...args), false).map((r) => overlay(r, g.pending.get(r.id))),
    listEndedExecutionsAfter: (afterId: number, limit: number) =>
      g
        .call(() => store.listEndedExecutionsAfter(afterId, limit), false)
        .map((r) => overlay(r, g.pending.get(r.id))),
    getExecutions: (ids: readonly number[]) =>
      g.call(() => store.getExecutions(ids), false).map((r) => overlay(r, g.pending.get(r.id))),
    close: () => {
      store.close();
    },
  };
  // One wrapper per method, made on first use (a burst calls the store several times per execution).
  const wrappers = new Map<string | symbol, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const own = special[prop as keyof AgentStore];
      if (own !== undefined) {
        return own;
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') {
        return value;
      }
      let wrapped = wrappers.get(prop);
      if (wrapped === undefined) {
        const writes = !READS.has(String(prop));
        const method = value as (...a: unknown[]) => unknown;
        wrapped = (...args: unknown[]) => g.call(() => method.apply(target, args), writes);
        wrappers.set(prop, wrapped);
      }
      return wrapped;
    },
  });
}
