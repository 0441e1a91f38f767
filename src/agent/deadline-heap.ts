/**
 * A min-heap of (deadline, key) with lazy invalidation: pushing a key again supersedes its older
 * entries, and `remove` forgets it, without searching the heap. O(log n) per change, which keeps
 * 100,000 active responses cheap to re-arm and to extend.
 *
 * Memory (issue #12: 1,000,000 re-armed under 600 MB): the heap is two parallel arrays (keys, and
 * deadlines as unboxed doubles), not one object per entry; each key string is shared by the heap
 * and the lookup map, never copied. A superseded or removed entry stays until it reaches the top,
 * so extends and early reverts of long-lived responses would pile up: once the heap holds more
 * than twice its live keys (and {@link COMPACT_MIN} entries), it is rebuilt from the live ones,
 * O(n) for at least n/2 changes since the last rebuild.
 */

/** Entries below which the heap is never rebuilt (a rebuild of a small heap gains nothing). */
export const COMPACT_MIN = 1_024;
export class DeadlineHeap {
  private keys: string[] = [];
  /** Deadlines (epoch ms), parallel to `keys`; a JS array of numbers only, so V8 keeps it unboxed. */
  private ats: number[] = [];
  private readonly current = new Map<string, number>();

  get size(): number {
    return this.current.size;
  }

  /** Sets (or moves) the deadline of `key`. */
  set(key: string, at: number): void {
    this.current.set(key, at);
    this.keys.push(key);
    this.ats.push(at);
    this.up(this.keys.length - 1);
    this.compactIfStale();
  }

  /**
   * Sets many deadlines at once: `keys[i]` expires at `ats[i]`. On an empty heap the arrays are
   * kept as given (not copied): a restart's 1,000,000 rows from the store are the heap's own
   * arrays. Sorted input (the store lists deadlines in order) is already a valid heap, so nothing
   * moves.
   */
  setMany(keys: string[], ats: number[]): void {
    if (keys.length !== ats.length) {
      throw new RangeError(`setMany: ${keys.length} keys but ${ats.length} deadlines`);
    }
    const adopt = this.keys.length === 0;
    if (adopt) {
      this.keys = keys;
      this.ats = ats;
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const at = ats[i] as number;
      this.current.set(key, at);
      if (adopt) {
        this.up(i);
      } else {
        this.keys.push(key);
        this.ats.push(at);
        this.up(this.keys.length - 1);
      }
    }
  }

  remove(key: string): void {
    this.current.delete(key);
    this.compactIfStale();
  }

  /** Entries in the heap, superseded ones included (for tests and memory checks). */
  get entries(): number {
    return this.keys.length;
  }

  /** Rebuilds the heap from the live deadlines when stale entries outnumber them (module doc). */
  private compactIfStale(): void {
    if (this.keys.length < COMPACT_MIN || this.keys.length <= 2 * this.current.size) {
      return;
    }
    this.keys = [...this.current.keys()];
    this.ats = [...this.current.values()];
    for (let i = (this.keys.length >> 1) - 1; i >= 0; i--) {
      this.down(i);
    }
  }

  /** Earliest live deadline, or undefined when empty. */
  peek(): number | undefined {
    this.dropStale();
    return this.keys.length === 0 ? undefined : this.ats[0];
  }

  /** Removes and returns every key whose deadline is <= now, earliest first. */
  popDue(now: number): string[] {
    const due: string[] = [];
    for (let at = this.peek(); at !== undefined && at <= now; at = this.peek()) {
      const key = this.pop();
      if (key !== undefined) {
        this.current.delete(key);
        due.push(key);
      }
    }
    this.compactIfStale();
    return due;
  }

  private dropStale(): void {
    while (this.keys.length > 0 && this.current.get(this.keys[0] as string) !== this.ats[0]) {
      this.pop();
    }
  }

  /** Removes the root; returns its key. */
  private pop(): string | undefined {
    const top = this.keys[0];
    const lastKey = this.keys.pop();
    const lastAt = this.ats.pop();
    if (lastKey !== undefined && lastAt !== undefined && this.keys.length > 0) {
      this.keys[0] = lastKey;
      this.ats[0] = lastAt;
      this.down(0);
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    return (this.ats[i] ?? Infinity) < (this.ats[j] ?? Infinity);
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i] as string;
    this.keys[i] = this.keys[j] as string;
    this.keys[j] = k;
    const a = this.ats[i] as number;
    this.ats[i] = this.ats[j] as number;
    this.ats[j] = a;
  }

  private up(i: number): void {
    for (let p = (i - 1) >> 1; i > 0 && this.less(i, p); i = p, p = (i - 1) >> 1) {
      this.swap(i, p);
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) {
        m = l;
      }
      if (r < n && this.less(r, m)) {
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
