/** Wazuh's rules_id scanner (reference §3.4), checked against an independent model. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scanRulesId } from '../../../src/core/match/rules-id.js';

/**
 * The model, written from the reference text rather than from the implementation: repeatedly skip
 * spaces/commas, take a digit run, then resume after the next comma; anything else ends the scan.
 */
function model(text: string): number[] {
  const ids: number[] = [];
  let rest = text;
  for (;;) {
    const m = /^[ ,]*(\d+)/.exec(rest);
    if (!m?.[1]) {
      return ids;
    }
    ids.push(Math.min(Number(m[1]), 2147483647));
    const comma = rest.indexOf(',', m[0].length);
    if (comma < 0) {
      return ids;
    }
    rest = rest.slice(comma + 1);
  }
}

const alphabet = fc.constantFrom('0', '1', '5', '7', '9', ' ', ',', 'x', '-', '\t');

void describe('scanRulesId', () => {
  const examples: readonly [string, number[], boolean][] = [
    ['5710,5712', [5710, 5712], true],
    ['5710, 5712', [5710, 5712], true],
    [',,5710', [5710], true],
    ['5710 5712', [5710], false],
    ['5710,x,5712', [5710], false],
    ['5710x,5712', [5710, 5712], false],
    ['', [], true],
    ['abc', [], false],
  ];
  for (const [text, ids, complete] of examples) {
    void test(`'${text}' scans as [${ids.join(',')}]${complete ? '' : ' (partly read)'}`, () => {
      assert.deepEqual(scanRulesId(text), { ids, complete });
    });
  }

  void test('property: agrees with the model on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((cs) => cs.join('')),
        (text) => {
          assert.deepEqual(scanRulesId(text).ids, model(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  void test('property: a list of ids joined by commas and optional spaces round-trips completely', () => {
    const sep = fc.constantFrom(',', ', ', ' ,', ',,', ' , ');
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 999999 }), { maxLength: 12 }), sep, (ids, s) => {
        assert.deepEqual(scanRulesId(ids.join(s)), { ids, complete: true });
      }),
    );
  });
});
