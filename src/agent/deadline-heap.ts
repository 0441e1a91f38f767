/**
 * A min-heap of (deadline, key) with lazy invalidation: pushing a key again supersedes its older
 * entries, and `remove` forgets it, without searching the heap. O(log n) per change, which keeps
 * 100,000 active responses cheap to re-arm and to extend.
 */
interface Entry {
  readonly expiresAt: number;
  readonly key: string;
}

export class DeadlineHeap {
  private readonly heap: Entry[] = [];
  private readonly current = new Map<string, number>();

  get size(): number {
    return this.current.size;
  }

  /** Sets (or moves) the deadline of `key`. */
  set(key: string, at: number): void {
    this.current.set(key, at);
    this.heap.push({ expiresAt: at, key });
    this.up(this.heap.length - 1);
  }

  /**
   * Sets many deadlines at once. The entries are kept as given (not copied): a restart's 1,000,000
   * rows from the store are the heap's own entries. Sorted input (the store lists deadlines in
   * order) is already a valid heap, so nothing moves.
   */
  setMany(entries: readonly Entry[]): void {
    for (const e of entries) {
      this.current.set(e.key, e.expiresAt);
      this.heap.push(e);
      this.up(this.heap.length - 1);
    }
  }

  remove(key: string): void {
    this.current.delete(key);
  }

  /** Earliest live deadline, or undefined when empty. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.expiresAt;
  }

  /** Removes and returns every key whose deadline is <= now, earliest first. */
  popDue(now: number): string[] {
    const due: string[] = [];
    for (let at = this.peek(); at !== undefined && at <= now; at = this.peek()) {
      const top = this.pop();
      if (top) {
        this.current.delete(top.key);
        due.push(top.key);
      }
    }
    return due;
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top && this.current.get(top.key) !== top.expiresAt; top = this.heap[0]) {
      this.pop();
    }
  }

  private pop(): Entry | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (last && this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    return (this.heap[i]?.expiresAt ?? Infinity) < (this.heap[j]?.expiresAt ?? Infinity);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a && b) {
      this.heap[i] = b;
      this.heap[j] = a;
    }
  }

  private up(i: number): void {
    for (let p = (i - 1) >> 1; i > 0 && this.less(i, p); i = p, p = (i - 1) >> 1) {
      this.swap(i, p);
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) {
        m = l;
      }
      if (r < this.heap.length && this.less(r, m)) {
        m = r;
      }
      if (m === i) {
        return;
      }
      this.swap(i, m);
      i = m;
    }
  }
}
