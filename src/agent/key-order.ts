/**
 * Orders executions per response key while letting different keys run in parallel.
 *
 * Contract: executions for one rkey run one at a time, in arrival order, so a `delete` never
 * overtakes its `add`. The catch is that an add's rkey is only known once its script prints
 * `check_keys`; until then it is "unresolved". So:
 *  - every execution takes a ticket on arrival, per program (script path), in arrival order;
 *  - before taking a key lock, an execution waits until every EARLIER ticket of the same program
 *    has resolved (announced its key and queued on that key's lock, or finished without a key);
 *  - key locks are FIFO.
 * Since tickets resolve in arrival order per program, and rkeys include the script's basename,
 * same-key executions queue on the lock in arrival order.
 */

interface Ticket {
  readonly seq: number;
  readonly resolved: Promise<void>;
  markResolved(): void;
}

/** A held key lock; release exactly once. */
export interface KeyLease {
  release(): void;
}

function makeTicket(seq: number): Ticket {
  let markResolved: () => void = () => undefined;
  const resolved = new Promise<void>((resolve) => {
    markResolved = resolve;
  });
  return { seq, resolved, markResolved };
}

export class KeyOrder {
  private seq = 0;
  private readonly pendingByProgram = new Map<string, Ticket[]>();
  private readonly lockTails = new Map<string, Promise<void>>();

  /** Takes a ticket for a new execution of `program`; call on arrival. */
  arrive(program: string): number {
    const ticket = makeTicket(++this.seq);
    const list = this.pendingByProgram.get(program) ?? [];
    list.push(ticket);
    this.pendingByProgram.set(program, list);
    return ticket.seq;
  }

  /**
   * Waits for earlier tickets of `program`, then queues on `key`'s lock and marks this ticket
   * resolved; resolves with the lease once the lock is held. `key` undefined: no lock, the
   * ticket is just resolved (an add whose script announced nothing).
   */
  async acquire(program: string, seq: number, key: string | undefined): Promise<KeyLease> {
    await this.earlierResolved(program, seq);
    const granted = key === undefined ? Promise.resolve(noopLease) : this.enqueue(key);
    this.resolve(program, seq);
    return granted;
  }

  /** Marks a ticket resolved without a key (the execution ended before announcing one). */
  resolve(program: string, seq: number): void {
    const list = this.pendingByProgram.get(program);
    const index = list?.findIndex((t) => t.seq === seq) ?? -1;
    if (!list || index < 0) {
      return;
    }
    list[index]?.markResolved();
    list.splice(index, 1);
    if (list.length === 0) {
      this.pendingByProgram.delete(program);
    }
  }

  /** Number of keys with a holder or waiters (for metrics and tests). */
  get lockedKeys(): number {
    return this.lockTails.size;
  }

  private async earlierResolved(program: string, seq: number): Promise<void> {
    const earlier = (this.pendingByProgram.get(program) ?? []).filter((t) => t.seq < seq);
    await Promise.all(earlier.map((t) => t.resolved));
  }

  /** Queues synchronously on the key's FIFO lock; the promise resolves when it is held. */
  private enqueue(key: string): Promise<KeyLease> {
    const previous = this.lockTails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.lockTails.set(key, tail);
    return previous.then(() => ({
      release: () => {
        release();
        if (this.lockTails.get(key) === tail) {
          this.lockTails.delete(key);
        }
      },
    }));
  }
}

const noopLease: KeyLease = { release: () => undefined };
