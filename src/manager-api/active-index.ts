/**
 * The fleet's active responses in memory, for the console's paged, filtered, sorted views
 * (active-page.ts). Rows are keyed by (agent, key). A sorted copy per sort column is kept until
 * the next change, so paging through 100,000 rows sorts once, not once per page.
 */
import type { FleetActiveResponse } from '../protocol/fleet-records.js';
import { sortRows, type ActiveSort, type SortedRow } from './active-page.js';

const idOf = (agentId: string, key: string): string => `${agentId}\u0000${key}`;

export class ActiveIndex {
  private readonly rows = new Map<string, FleetActiveResponse>();
  private readonly sorted = new Map<ActiveSort, SortedRow[]>();

  load(items: readonly FleetActiveResponse[]): void {
    this.rows.clear();
    for (const a of items) {
      this.rows.set(idOf(a.agentId, a.key), a);
    }
    this.sorted.clear();
  }

  put(a: FleetActiveResponse): void {
    this.rows.set(idOf(a.agentId, a.key), a);
    this.sorted.clear();
  }

  remove(agentId: string, key: string): void {
    if (this.rows.delete(idOf(agentId, key))) {
      this.sorted.clear();
    }
  }

  replaceAgent(agentId: string, items: readonly FleetActiveResponse[]): void {
    for (const [id, a] of this.rows) {
      if (a.agentId === agentId) {
        this.rows.delete(id);
      }
    }
    for (const a of items) {
      this.rows.set(idOf(a.agentId, a.key), a);
    }
    this.sorted.clear();
  }

  get size(): number {
    return this.rows.size;
  }

  /** Active responses per agent id. */
  countByAgent(): Map<string, number> {
    const out = new Map<string, number>();
    for (const a of this.rows.values()) {
      out.set(a.agentId, (out.get(a.agentId) ?? 0) + 1);
    }
    return out;
  }

  all(): FleetActiveResponse[] {
    return [...this.rows.values()];
  }

  /** Every row, ascending by `sort` then agent then key (cached until the next change). */
  sortedBy(sort: ActiveSort): readonly SortedRow[] {
    let s = this.sorted.get(sort);
    if (s === undefined) {
      s = sortRows(this.rows.values(), sort);
      this.sorted.set(sort, s);
    }
    return s;
  }
}
