/** Reference §3.3: location keywords are case-insensitive substring tests. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLocation } from '../../../src/config/location.js';
import { at, errorsOf, withAr } from './helpers.js';

type Flags = readonly [server: boolean, local: boolean, definedAgent: boolean, all: boolean];

const cases: readonly [string, Flags][] = [
  ['server', [true, false, false, false]],
  ['analysisd', [true, false, false, false]],
  ['analysis-server', [true, false, false, false]],
  ['local', [false, true, false, false]],
  ['defined-agent', [false, false, true, false]],
  ['all', [false, false, false, true]],
  ['any', [false, false, false, true]],
  ['ALL', [false, false, false, true]],
  ['local,server', [true, true, false, false]],
  ['Local Server', [true, true, false, false]],
  ['pasta', [true, false, false, false]],
  ['company', [false, false, false, true]],
  ['localhost', [false, true, false, false]],
];

void describe('location parsing (reference §3.3)', () => {
  for (const [value, want] of cases) {
    void test(`location '${value}' sets ${JSON.stringify(want)}`, () => {
      const f = parseLocation(value);
      assert.ok(f);
      assert.deepEqual([f.server, f.local, f.definedAgent, f.all], want);
    });
  }

  void test(`location 'AS' matches any value containing "as"`, () => {
    for (const v of ['AS', 'as', 'gas', 'BASE']) {
      assert.equal(parseLocation(v)?.server, true, v);
    }
  });

  for (const value of ['agent', 'manager', 'remote', 'nowhere']) {
    void test(`a location with no keyword is 1302: '${value}'`, () => {
      assert.equal(parseLocation(value), undefined);
      assert.deepEqual(errorsOf(withAr(`<command>firewall-drop</command>\n<location>${value}</location>`)), [
        at(
          13,
          `(1302) Invalid active response location: '${value}'. Accepted: local, server, defined-agent, all, analysis-server, analysisd, AS, any.`,
        ),
      ]);
    });
  }
});
