/**
 * Shared pieces of the fuzz layer (issue #13): how many cases each property runs, and generators of
 * hostile input every parser that takes outside input must survive. `npm test` runs a bounded
 * number of cases (fast, in CI); `npm run fuzz` sets RIPOSTE_FUZZ_RUNS for a long run.
 */
import fc from 'fast-check';

/** Cases per property: 150 in the normal suite, RIPOSTE_FUZZ_RUNS (e.g. 20000) with `npm run fuzz`. */
export const FUZZ_RUNS = ((): number => {
  const n = Number(process.env['RIPOSTE_FUZZ_RUNS'] ?? '');
  return Number.isSafeInteger(n) && n > 0 ? n : 150;
})();

export const fuzzParams = { numRuns: FUZZ_RUNS };

/** Brackets nested `depth` deep, the shape that overflowed the stack in issue #13 findings 1, 2, 7. */
export function nested(depth: number, open = '[', close = ']', inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** Deeply nested objects/arrays, up to 20,000 levels (beyond V8's recursion limit for JSON.parse users). */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([depth, objects]) => (objects ? nested(depth, '{"a":', '}') : nested(depth)));

/** Any text, JSON text, JSON with a mutated byte, and deep nesting: what an attacker can send. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.json({ maxDepth: 6 }),
  fc
    .tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
    .map(
      ([text, at, junk]) => text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1)),
    ),
  deepJsonText,
);

/** Nesting depth of a JSON value, counted like the bound scanner counts brackets. */
export function depthOf(value: unknown): number {
  if (Array.isArray(value)) {
    return 1 + Math.max(0, ...value.map(depthOf));
  }
  if (value !== null && typeof value === 'object') {
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  }
  return 0;
}
