/**
 * The execution feed (`GET /executions/stream`, `riposte ar history --follow`, the console's live
 * pages) of a node whose store other nodes write too: agents report their executions to the node
 * holding their link, so a cluster node reads them from the shared store instead of its own
 * events. While at least one feed is open, every `everyMs` it reads what was stored after its
 * cursor (execution-cursor.ts; pages of {@link FEED_PAGE}, read again at once while they come
 * full) and hands each execution to every feed, its own agents' included: all come from the store,
 * so none is shown twice. The first feed opened starts at the newest stored execution (a feed
 * shows what comes after it opened, as on a single manager; numbers just below it that are still
 * being inserted are shown when they commit), and when the last one closes the
 * reads stop. A failed read is logged once until one succeeds; the cursor stays where it was.
 */
import type { FleetExecution } from '../protocol/fleet-records.js';
import type { DaemonLog } from '../log/daemon-log.js';
import type { ManagerService } from '../manager/manager-service.js';
import type { NumberedExecution } from '../core/orders/manager-console-store.js';
import { advance, cursorAt, gapList, type ExecutionCursor } from './execution-cursor.js';
import { errorMessage } from '../protocol/error-message.js';

/** Executions read at once. */
export const FEED_PAGE = 500;
/** Numbers below the newest read when the feed starts, so those still in flight become gaps. */
const START_LOOKBACK = 1_024;
/** Pages read per period at most: a feed far behind catches up over several periods. */
const MAX_PAGES_PER_READ = 20;

export interface StoreExecutionFeedOptions {
  readonly service: Pick<ManagerService, 'executionsAfter' | 'lastExecutionNumber'>;
  readonly everyMs: number;
  readonly now: () => number;
  readonly log: Pick<DaemonLog, 'warn'>;
}

type Listener = (e: FleetExecution) => void;

export class StoreExecutionFeed {
  private readonly listeners = new Set<Listener>();
  private cursor: ExecutionCursor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  /** Bumped when the reads stop: a read started before does not move the next run's cursor. */
  private generation = 0;
  private failing = false;

  constructor(private readonly opts: StoreExecutionFeedOptions) {}

  /** Adds a feed; returns its unsubscribe function. */
  readonly subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        this.tick();
      }, this.opts.everyMs);
      this.timer.unref();
      this.tick();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.stop();
      }
    };
  };

  /** Stops reading; resolves once a read under way has ended. */
  async close(): Promise<void> {
    this.listeners.clear();
    this.stop();
    await this.reading;
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.cursor = undefined;
    this.generation += 1;
  }

  private tick(): void {
    this.reading ??= this.read(this.generation)
      .then(
        () => {
          this.failing = false;
        },
        (err: unknown) => {
          if (!this.failing) {
            this.failing = true;
            this.opts.log.warn(`Execution feed: cannot read the store: ${errorMessage(err)}`);
          }
        },
      )
      .finally(() => {
        this.reading = undefined;
      });
  }

  /**
   * The cursor at the newest stored execution. Lower numbers may still be in flight (taken by an
   * insert not committed yet): the last {@link START_LOOKBACK} numbers are read without being
   * shown, so those missing become gaps, asked for again like any other.
   */
  private async start(generation: number): Promise<void> {
    const { service } = this.opts;
    const last = await service.lastExecutionNumber();
    const from = Math.max(0, last - START_LOOKBACK);
    const rows = await service.executionsAfter(from, [], START_LOOKBACK + FEED_PAGE);
    if (generation !== this.generation) {
      return;
    }
    this.cursor = advance(
      cursorAt(from),
      rows.map((r) => r.n),
      this.opts.now(),
    );
    this.deliver(rows.filter((r) => r.n > last));
  }

  private deliver(rows: readonly NumberedExecution[]): void {
    for (const r of rows) {
      this.listeners.forEach((l) => {
        l(r.execution);
      });
    }
  }

  private async read(generation: number): Promise<void> {
    const { service } = this.opts;
    if (this.cursor === undefined) {
      await this.start(generation);
      return;
    }
    for (let page = 0; page < MAX_PAGES_PER_READ; page += 1) {
      const from = this.cursor;
      if (from === undefined) {
        return;
      }
      const rows = await service.executionsAfter(from.after, gapList(from), FEED_PAGE);
      if (generation !== this.generation) {
        return;
      }
      this.cursor = advance(
        from,
        rows.map((r) => r.n),
        this.opts.now(),
      );
      this.deliver(rows);
      if (rows.length < FEED_PAGE) {
        return;
      }
    }
  }
}
