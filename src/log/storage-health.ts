/**
 * "Disk full" as a recorded state (issue #13 finding 5). The log sink and the stores report here
 * when a write fails for lack of space and when one succeeds again; operators read it in `/metrics`
 * (`riposte_disk_full`, `riposte_log_lines_dropped_total`, `riposte_store_writes_deferred`) and
 * the daemon logs one line when the disk fills and one when space is back.
 *
 * One instance per process (`storageHealth`): a full file system is a property of the host, and
 * every component writing to the home shares it.
 */

/** errno / SQLite codes meaning "no space left" (disk, quota, file size limit). */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'SQLITE_FULL']);

export function isDiskFullError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FULL_CODES.has(code);
}

export interface StorageHealthSnapshot {
  readonly diskFull: boolean;
  /** The files whose last write failed for lack of space. */
  readonly fullPaths: readonly string[];
  /** ISO time the disk was first found full (undefined when not full). */
  readonly since: string | undefined;
  /** Log lines dropped because the disk was full, since the start of the process. */
  readonly droppedLogLines: number;
  /** Store writes waiting for space (kept in memory, written when space is back). */
  readonly deferredStoreWrites: number;
}

export type StorageEvent =
  | { readonly kind: 'full'; readonly path: string; readonly code: string }
  | { readonly kind: 'recovered'; readonly path: string; readonly fullForMs: number };

export class StorageHealth {
  private readonly full = new Map<string, number>();
  private dropped = 0;
  private deferred = 0;
  private readonly listeners = new Set<(e: StorageEvent) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A write to `path` failed with `code` (ENOSPC, SQLITE_FULL...). */
  reportFull(path: string, code: string): void {
    if (!this.full.has(path)) {
      this.full.set(path, this.now());
      this.emit({ kind: 'full', path, code });
    }
  }

  /** A write to `path` succeeded. */
  reportWritten(path: string): void {
    const since = this.full.get(path);
    if (since !== undefined) {
      this.full.delete(path);
      this.emit({ kind: 'recovered', path, fullForMs: this.now() - since });
    }
  }

  countDroppedLogLine(): void {
    this.dropped += 1;
  }

  setDeferredStoreWrites(n: number): void {
    this.deferred = n;
  }

  /** Listens to full/recovered transitions; returns the function that stops listening. */
  subscribe(fn: (e: StorageEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  snapshot(): StorageHealthSnapshot {
    const first = Math.min(...this.full.values());
    return {
      diskFull: this.full.size > 0,
      fullPaths: [...this.full.keys()],
      since: this.full.size > 0 ? new Date(first).toISOString() : undefined,
      droppedLogLines: this.dropped,
      deferredStoreWrites: this.deferred,
    };
  }

  private emit(e: StorageEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // a listener (a log line) must never break the write path that reported
      }
    }
  }
}

/** The process's storage health. */
export const storageHealth = new StorageHealth();
