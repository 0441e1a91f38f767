/** Reference §2.1 and §3.6: what execd reads, in agent and manager mode. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRepeatedOffenders } from '../../../src/config/agent-settings.js';
import { at, errorsOf, okConfig, withAr } from './helpers.js';

const blocks = (...inner: string[]): string =>
  `<ossec_config>\n${inner.map((i) => `<active-response>${i}</active-response>`).join('\n')}\n</ossec_config>`;

void describe('agent-side <active-response> (reference §3.6)', () => {
  void test('disabled defaults to no', () => {
    assert.equal(okConfig('<ossec_config></ossec_config>', 'agent').agent.disabled, false);
  });

  void test('the first <disabled> in any block wins', () => {
    assert.equal(
      okConfig(blocks('<disabled>yes</disabled>', '<disabled>no</disabled>'), 'agent').agent.disabled,
      true,
    );
    assert.equal(
      okConfig(
        blocks(
          '<repeated_offenders>1</repeated_offenders>',
          '<disabled>no</disabled>',
          '<disabled>yes</disabled>',
        ),
        'agent',
      ).agent.disabled,
      false,
    );
  });

  void test('an invalid first <disabled> is 1235 in agent mode', () => {
    assert.deepEqual(errorsOf(blocks('<disabled>maybe</disabled>'), 'agent'), [
      at(2, "(1235) Invalid value for element 'disabled': maybe. Accepted: yes or no."),
    ]);
  });

  void test('a block with only <disabled>no</disabled> is fine in agent mode', () => {
    const c = okConfig(blocks('<disabled>no</disabled>'), 'agent');
    assert.deepEqual([c.agent.disabled, c.rules.length, c.commands.length], [false, 0, 0]);
  });

  void test('agent mode ignores commands, AR rules and white list, even invalid ones', () => {
    const xml = `<ossec_config><global><white_list>999.9.9.9</white_list></global>
<command><bogus/></command>
<active-response><command>nope</command><location>x</location><ca_verification>yes</ca_verification></active-response>
</ossec_config>`;
    const c = okConfig(xml, 'agent');
    assert.deepEqual([c.commands.length, c.rules.length, c.whiteList.entries.length], [0, 0, 0]);
  });

  void test('the first block holding <repeated_offenders> wins', () => {
    const c = okConfig(
      blocks(
        '<disabled>no</disabled>',
        '<repeated_offenders>2,4</repeated_offenders>',
        '<repeated_offenders>9</repeated_offenders>',
      ),
      'agent',
    );
    assert.deepEqual(c.agent.repeatedOffenders, [2, 4]);
  });

  void test('manager mode computes the agent settings from the same file', () => {
    const c = okConfig(withAr('<disabled>yes</disabled>\n<repeated_offenders>10,20</repeated_offenders>'));
    assert.deepEqual([c.agent.disabled, c.agent.repeatedOffenders], [true, [10, 20]]);
  });

  void test('a negative repeated_offenders value is refused (Riposte)', () => {
    assert.deepEqual(errorsOf(blocks('<repeated_offenders>5,-1</repeated_offenders>'), 'agent'), [
      at(
        2,
        "Invalid value for element 'repeated_offenders': 5,-1. Values are minutes and cannot be negative.",
      ),
    ]);
  });

  const parses: readonly [string, number[]][] = [
    ['1,5,10', [1, 5, 10]],
    [' 1,\t5', [1, 5]],
    ['1,,5', [1, 5]],
    ['1,2,3,4,5,6', [1, 2, 3, 4, 5]],
    ['1,2,3,4,5x,6', [1, 2, 3, 4, 5]],
    [',,,,7', [7]],
    [',,,,,7', []],
    ['0,5', []],
    ['1,0,5', [1]],
    ['abc', []],
    ['', []],
    ['10m', [10]],
  ];
  for (const [text, want] of parses) {
    void test(`repeated_offenders '${text}' parses as execd does: [${want.join(',')}]`, () => {
      assert.deepEqual(parseRepeatedOffenders(text), want);
    });
  }
});
