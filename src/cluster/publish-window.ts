/**
 * The publishes a bus keeps in flight at once (nats-bus.ts: each waits for the server's
 * acknowledgement), taken from the head of its outbox's queue, and the failed ones put back there
 * in the order they were taken. After a failure no publish starts until every one in flight has
 * settled; then the failed ones go back to the head of the queue, oldest first, and the bus is told
 * to flush again later (`retry`). Putting each failed one back as it settled (an unshift each)
 * re-sent the messages of an outage last-first: route announcements applied out of order on the
 * other nodes (a release after the hold that followed it), order batches out of seq order.
 *
 * What it cannot keep in order: a publish that succeeded after an earlier one failed has gone
 * before that one's re-send (the PostgreSQL bus, one round trip at a time, has no such case).
 */

export interface PublishWindowDeps<T> {
  /** The queue, oldest first: publishes are taken from its head, failures put back there. */
  readonly pending: T[];
  /** Publishes in flight at most. */
  readonly limit: number;
  /** A publish succeeded. */
  readonly sent: () => void;
  /** A publish failed (told of each). */
  readonly failed: (err: unknown) => void;
  /** The failed publishes are back at the head of `pending`, none in flight: flush again later. */
  readonly retry: () => void;
}

interface Failure<T> {
  /** The order it was taken in. */
  readonly n: number;
  readonly item: T;
}

export class PublishWindow<T> {
  private inFlight = 0;
  private taken = 0;
  /** Failed publishes waiting for those still in flight to settle. */
  private failures: Failure<T>[] = [];

  constructor(private readonly deps: PublishWindowDeps<T>) {}

  /** Publishes from the head of the queue while below the limit and no failure is waiting. */
  flush(publish: (item: T) => Promise<unknown>): void {
    const pending = this.deps.pending;
    while (this.inFlight < this.deps.limit && this.failures.length === 0 && pending.length > 0) {
      const item = pending.shift();
      if (item === undefined) {
        return;
      }
      const n = this.taken++;
      this.inFlight++;
      publish(item).then(
        () => {
          this.settled();
        },
        (err: unknown) => {
          this.settled({ n, item }, err);
        },
      );
    }
  }

  /** Publishes started and not settled yet. */
  get size(): number {
    return this.inFlight;
  }

  private settled(failure?: Failure<T>, err?: unknown): void {
    this.inFlight--;
    if (failure === undefined) {
      this.deps.sent();
    } else {
      this.failures.push(failure);
      this.deps.failed(err);
    }
    if (this.inFlight > 0 || this.failures.length === 0) {
      return;
    }
    const back = this.failures.sort((a, b) => a.n - b.n).map((f) => f.item);
    this.failures = [];
    this.deps.pending.unshift(...back);
    this.deps.retry();
  }
}
