/**
 * "Did you mean" for configuration and command-line words: the known word nearest to what was
 * written, when it is near enough to be a typo (edit distance, with a swap of two neighbours
 * counting as one edit). Pure.
 */

/** Optimal string alignment distance (Levenshtein plus adjacent transposition). */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Array<number>((a.length + 1) * width).fill(0);
  const get = (i: number, j: number): number => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      d[i * width + j] = i === 0 || j === 0 ? i + j : step({ a, b, get }, i, j);
    }
  }
  return get(a.length, b.length);
}

/** One cell from its neighbours: delete, insert, substitute, or swap two neighbours. */
interface Grid {
  readonly a: string;
  readonly b: string;
  readonly get: (i: number, j: number) => number;
}

function step({ a, b, get }: Grid, i: number, j: number): number {
  const cost = a[i - 1] === b[j - 1] ? 0 : 1;
  const best = Math.min(get(i - 1, j) + 1, get(i, j - 1) + 1, get(i - 1, j - 1) + cost);
  const swap = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
  return swap ? Math.min(best, get(i - 2, j - 2) + 1) : best;
}

/**
 * The candidate nearest to `word` (case-insensitive), if within max(1, a third of the longer
 * length) edits and not `word` itself; ties go to the first candidate.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d > 0 && d < bestDistance && d <= Math.max(1, Math.floor(Math.max(w.length, c.length) / 3))) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** " Did you mean 'x'?" or "" when nothing is near. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : ` Did you mean '${n}'?`;
}
