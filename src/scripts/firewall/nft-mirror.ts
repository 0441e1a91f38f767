/**
 * What this process has committed to the nftables sets, so that the elements can be put back
 * when the table turns out to have been removed under it (`nft flush ruleset`, `nft delete table`,
 * a firewall reload) while it runs: the agent's store still counts those responses as active.
 *
 * Recorded after a transaction commits, in operation order. A re-apply's runs of checked adds
 * (tens of thousands of elements at once) are kept as their text and split into elements only
 * when a later delete needs them split, or when they are put back: recording one costs nothing
 * per element.
 */
import type { NftElementsOp } from './nft-batcher.js';

/** One statement's worth of committed changes: a family, a kind and canonical element texts. */
export interface MirrorGroup {
  readonly kind: 'add' | 'delete';
  readonly family: 4 | 6;
  readonly elements: Iterable<string>;
}

export class NftMirror {
  private readonly elements: Record<4 | 6, Set<string>> = { 4: new Set(), 6: new Set() };
  /** Committed runs of adds not yet split into `elements`. */
  private runs: NftElementsOp[] = [];

  /** Records a committed change (in the order the transaction applied them). */
  record(part: MirrorGroup | NftElementsOp): void {
    if (part.kind === 'add-elements') {
      this.runs.push(part);
      return;
    }
    const set = this.elements[part.family];
    if (part.kind === 'add') {
      for (const e of part.elements) {
        set.add(e);
      }
      return;
    }
    // A run committed before this delete may hold the element: split the runs first.
    this.splitRuns();
    for (const e of part.elements) {
      set.delete(e);
    }
  }

  /** The committed elements of `family`, each once. */
  list(family: 4 | 6): string[] {
    this.splitRuns();
    return [...this.elements[family]];
  }

  private splitRuns(): void {
    for (const run of this.runs) {
      const set = this.elements[run.family];
      for (const e of run.elements.split(',')) {
        set.add(e);
      }
    }
    this.runs = [];
  }
}
