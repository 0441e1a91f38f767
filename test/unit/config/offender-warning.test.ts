/**
 * The load warning for a `<repeated_offenders>` list that would shorten a block (reference §2.5:
 * the values are used as given, so a 2nd offence can be blocked for less time than the first).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firstShorterRepeat } from '../../../src/config/offender-warning.js';
import { COMMANDS, compileXml } from './helpers.js';

/** COMMANDS, then one firewall-drop block per timeout (line 11 on, one line each), then the list. */
function conf(timeouts: readonly string[], list: string, extra = ''): string {
  const blocks = timeouts.map(
    (t) =>
      `<active-response><command>firewall-drop</command><location>local</location><level>10</level>${t}${extra}</active-response>`,
  );
  return `${COMMANDS}${blocks.join('\n')}\n<active-response><repeated_offenders>${list}</repeated_offenders></active-response>\n</ossec_config>\n`;
}

function warningsOf(xml: string, mode: 'manager' | 'agent' = 'manager'): readonly string[] {
  const r = compileXml(xml, mode);
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.config.warnings;
}

void describe('firstShorterRepeat', () => {
  const cases: readonly [number, number[], ReturnType<typeof firstShorterRepeat>][] = [
    [600, [1, 5, 10], { offence: 2, seconds: 60, previousSeconds: 600 }],
    [600, [10, 20], undefined],
    [600, [20, 10], { offence: 3, seconds: 600, previousSeconds: 1200 }],
    [3600, [60, 60, 120], undefined], // equal is not shorter
    [0, [1], undefined], // stateless: nothing to shorten
    [600, [], undefined],
  ];
  for (const [timeout, list, expected] of cases) {
    void test(`${timeout} s then ${list.join(',') || 'no list'}`, () => {
      assert.deepEqual(firstShorterRepeat(timeout, list), expected);
    });
  }
});

void describe('the load warning', () => {
  void test('names the first response whose repeat is shorter, and counts the others', () => {
    const w = warningsOf(
      conf(['<timeout>600</timeout>', '<timeout>1h</timeout>', '<timeout>2h</timeout>'], '30,120'),
    );
    assert.deepEqual(w, [
      'etc/ossec.conf:14: repeated_offenders: the 2nd offence of firewall-drop3600 (line 12) would be ' +
        'blocked for 1800 s (30 min), less than the 3600 s (60 min) of the offence before it (and so for 1 ' +
        'more active response). As in Wazuh, the values are used as given: for blocks that grow, give ' +
        'minutes no shorter than every timeout, each value no shorter than the one before.',
    ]);
  });

  void test('a list that shrinks later is named by its offence', () => {
    const [w] = warningsOf(conf(['<timeout>600</timeout>'], '20,10'));
    assert.match(
      w ?? '',
      /the 3rd offence of firewall-drop600 \(line 11\) would be blocked for 600 s \(10 min\), less than the 1200 s \(20 min\)/,
    );
  });

  void test('no warning for growing blocks, stateless or disabled responses, or agent mode', () => {
    assert.deepEqual(
      warningsOf(conf(['<timeout>600</timeout>', '<timeout>1h</timeout>'], '60,120,1440')),
      [],
    );
    assert.deepEqual(warningsOf(conf(['', ''], '1,5')), []);
    // (the first <disabled>yes</disabled> has its own warning)
    const disabled = warningsOf(conf(['<timeout>1h</timeout>'], '30', '<disabled>yes</disabled>'));
    assert.deepEqual(
      disabled.filter((w) => w.includes('repeated_offenders')),
      [],
    );
    assert.deepEqual(warningsOf(conf(['<timeout>1h</timeout>'], '30'), 'agent'), []);
  });
});
