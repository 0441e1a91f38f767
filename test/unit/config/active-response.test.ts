/** Reference §3.2-3.3: manager `<active-response>` blocks. The block opens on line 11 (see helpers). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { at, COMMANDS, errorsOf, okConfig, withAr } from './helpers.js';

const FD = '<command>firewall-drop</command>';
const ar = (...lines: string[]): string => withAr(lines.join('\n'));

void describe('<active-response> (reference §3.2)', () => {
  void test('a complete block compiles: AR name is command name + timeout', () => {
    const c = okConfig(ar(FD, '<location>local</location>', '<level>10</level>', '<timeout>600</timeout>'));
    const r = c.rules[0];
    assert.ok(r);
    assert.deepEqual(
      [r.index, r.line, r.disabled, r.arName, r.timeout, r.level, r.locationRaw],
      [0, 11, false, 'firewall-drop600', 600, 10, 'local'],
    );
    assert.equal(Object.isFrozen(c), true);
    assert.equal(Object.isFrozen(r), true);
    assert.equal(Object.isFrozen(c.rules), true);
  });

  void test('the spelling <active_response> is accepted too', () => {
    const c = okConfig(withAr(`${FD}<location>server</location><level>3</level>`, 'active_response'));
    assert.equal(c.rules[0]?.arName, 'firewall-drop0');
  });

  void test('command must precede the active-response that uses it (1303)', () => {
    const xml = `<ossec_config>
<active-response>
<command>late</command>
<location>local</location>
<level>5</level>
</active-response>
<command><name>late</name><executable>late</executable></command>
</ossec_config>`;
    assert.deepEqual(errorsOf(xml), [
      at(
        3,
        "(1303) Invalid command 'late' in the active response. It is defined at line 7, after this " +
          'block: a <command> must come before the blocks that use it.',
      ),
    ]);
  });

  void test('an unknown command is 1303', () => {
    assert.deepEqual(errorsOf(ar('<command>firewal-drop</command>', '<location>local</location>')), [
      at(12, "(1303) Invalid command 'firewal-drop' in the active response. Did you mean 'firewall-drop'?"),
    ]);
  });

  for (const v of ['Yes', 'true', 'off']) {
    void test(`disabled must be exactly yes or no (1235): ${v}`, () => {
      assert.deepEqual(errorsOf(ar(`<disabled>${v}</disabled>`)), [
        at(12, `(1235) Invalid value for element 'disabled': ${v}. Accepted: yes or no.`),
      ]);
    });
  }

  void test('disabled block alone accepted, disabled=no alone is 1281', () => {
    assert.equal(okConfig(ar('<disabled>yes</disabled>')).rules.length, 0);
    assert.deepEqual(errorsOf(ar('<disabled>no</disabled>')), [
      at(11, '(1281) Missing options in the active response configuration.'),
    ]);
  });

  void test('a disabled block whose command resolves is kept with disabled: true (for explain)', () => {
    const c = okConfig(
      ar('<disabled>yes</disabled>', FD, '<location>all</location>', '<rules_id>5710</rules_id>'),
    );
    assert.equal(c.rules.length, 1);
    assert.equal(c.rules[0]?.disabled, true);
    assert.equal(c.agent.disabled, true);
    assert.deepEqual(c.warnings, [
      at(
        12,
        "The first <disabled> of the file is 'yes': as with Wazuh's execd, responses that run on this manager " +
          'itself (location server, or local for its own events) are disabled.',
      ),
    ]);
  });

  void test('a disabled block skips the command and location checks, as Wazuh does', () => {
    const c = okConfig(
      ar('<disabled>yes</disabled>', '<command>nope</command>', '<location>nowhere</location>'),
    );
    assert.equal(c.rules.length, 0);
  });

  void test('a disabled block does not reset earlier blocks (documented fix of Wazuh quirk §8.5)', () => {
    const xml = `${COMMANDS}<active-response>${FD}<location>local</location><level>5</level></active-response>
<active-response><disabled>yes</disabled>${FD}<location>server</location><level>5</level></active-response>
</ossec_config>`;
    const c = okConfig(xml);
    assert.deepEqual(
      c.rules.map((r) => [r.index, r.disabled, r.location.local, r.location.server]),
      [
        [0, false, true, false],
        [1, true, false, true],
      ],
    );
  });

  void test('missing command or location is 1281', () => {
    const msg = at(11, '(1281) Missing options in the active response configuration.');
    assert.deepEqual(errorsOf(ar(FD, '<level>5</level>')), [msg]);
    assert.deepEqual(errorsOf(ar('<location>local</location>')), [msg]);
    assert.deepEqual(errorsOf(ar('<command></command>', '<location>local</location>')), [msg]);
  });

  void test('a block holding repeated_offenders needs no command or location', () => {
    const c = okConfig(ar('<repeated_offenders>1,5,10</repeated_offenders>'));
    assert.equal(c.rules.length, 0);
    assert.deepEqual(c.agent.repeatedOffenders, [1, 5, 10]);
  });

  void test('repeated_offenders and ca_store are accepted in manager blocks', () => {
    const c = okConfig(
      ar(
        FD,
        '<location>local</location>',
        '<level>3</level>',
        '<repeated_offenders>30</repeated_offenders>',
        '<ca_store>x.pem</ca_store>',
      ),
    );
    assert.equal(c.rules.length, 1);
  });

  const HINTS: Readonly<Record<string, string>> = { expect: '', srcip: '' };
  for (const el of ['ca_verification', 'expect', 'srcip']) {
    void test(`unknown element in an active-response is 1230: ${el}`, () => {
      assert.deepEqual(errorsOf(ar(FD, '<location>local</location>', `<${el}>x</${el}>`)), [
        at(14, `(1230) Invalid element in the configuration: '${el}'.${HINTS[el] ?? ''}`),
      ]);
    });
  }

  for (const el of ['level', 'timeout', 'rules_id', 'rules_group', 'agent_id', 'disabled']) {
    void test(`empty ${el} is 1234`, () => {
      assert.deepEqual(errorsOf(ar(FD, '<location>local</location>', `<${el}></${el}>`)), [
        at(14, `(1234) Invalid NULL content for element: ${el}.`),
      ]);
    });
  }

  const levels: readonly [string, number | undefined | 'error'][] = [
    ['0', undefined],
    ['1', 1],
    ['20', 20],
    ['07', 7],
    ['010', 10],
    ['000', undefined],
    ['0020', 20],
    ['21', 'error'],
    ['021', 'error'],
    ['-1', 'error'],
    ['5a', 'error'],
    ['100', 'error'],
  ];
  for (const [v, want] of levels) {
    void test(`level is digits only, 0..20, 0 meaning no criterion (1235): '${v}'`, () => {
      const xml = ar(FD, '<location>local</location>', `<level>${v}</level>`, '<rules_id>1</rules_id>');
      if (want === 'error') {
        assert.deepEqual(errorsOf(xml), [
          at(14, `(1235) Invalid value for element 'level': ${v}. Accepted: a whole number from 0 to 20.`),
        ]);
      } else {
        assert.equal(okConfig(xml).rules[0]?.level, want);
      }
    });
  }

  const timeouts: readonly [string, number][] = [
    ['600', 600],
    ['0', 0],
    ['10s', 10],
    ['5m', 300],
    ['1h', 3600],
    ['2d', 172800],
  ];
  for (const [v, seconds] of timeouts) {
    void test(`timeout accepts seconds or a unit (Riposte): '${v}'`, () => {
      const c = okConfig(ar(FD, '<location>local</location>', '<level>3</level>', `<timeout>${v}</timeout>`));
      assert.equal(c.rules[0]?.timeout, seconds);
      assert.equal(c.rules[0]?.arName, `firewall-drop${seconds}`);
    });
  }

  for (const v of ['10x', '-5', 'abc', '1.5m', '99999999999']) {
    void test(`garbage or negative timeout is 1235 (Wazuh reads ${v} with atoi): '${v}'`, () => {
      assert.deepEqual(errorsOf(ar(FD, '<location>local</location>', `<timeout>${v}</timeout>`)), [
        at(
          14,
          `(1235) Invalid value for element 'timeout': ${v}. Accepted: a number of seconds (600) or a number with a unit s, m, h or d (30s, 10m, 1h, 1d).`,
        ),
      ]);
    });
  }

  void test('defined-agent without agent_id is 1304', () => {
    assert.deepEqual(errorsOf(ar(FD, '<location>defined-agent</location>', '<level>3</level>')), [
      at(11, '(1304) No agent defined for response.'),
    ]);
  });

  for (const id of ['0', 'abc', '000', '001,0', ',', ' , ']) {
    void test(`agent_id with atoi 0 is warning 1306 and the block is skipped: '${id}'`, () => {
      const c = okConfig(
        ar(FD, '<location>defined-agent</location>', `<agent_id>${id}</agent_id>`, '<level>3</level>'),
      );
      assert.equal(c.rules.length, 0);
      assert.deepEqual(c.warnings, [
        at(14, '(1306) Invalid agent ID. Use location=server to run AR on the manager.'),
      ]);
    });
  }

  void test('a block skipped by 1306 reports no unknown command (1303) and no timeout not allowed (1305), as in Wazuh', () => {
    const c = okConfig(
      ar(
        '<command>nosuch</command>',
        '<location>defined-agent</location>',
        '<agent_id>0</agent_id>',
        '<timeout>600</timeout>',
      ),
    );
    assert.equal(c.rules.length, 0);
    assert.deepEqual(c.warnings, [
      at(14, '(1306) Invalid agent ID. Use location=server to run AR on the manager.'),
    ]);
    const restart = okConfig(
      ar(
        '<command>restart-wazuh</command>',
        '<location>defined-agent</location>',
        '<agent_id>0</agent_id>',
        '<timeout>600</timeout>',
      ),
    );
    assert.deepEqual(restart.warnings, [
      at(14, '(1306) Invalid agent ID. Use location=server to run AR on the manager.'),
    ]);
  });

  void test('agent_id values are formatted %.3d, and a comma list is accepted (Riposte)', () => {
    const one = okConfig(
      ar(FD, '<location>defined-agent</location>', '<agent_id>7</agent_id>', '<level>3</level>'),
    );
    assert.deepEqual(one.rules[0]?.agentIds, ['007']);
    const many = okConfig(
      ar(FD, '<location>defined-agent</location>', '<agent_id>1, 12,1234x</agent_id>', '<level>3</level>'),
    );
    assert.deepEqual(many.rules[0]?.agentIds, ['001', '012', '1234']);
  });

  const lists: readonly [string, string[]][] = [
    ['1,', ['001']],
    ['001, 002,', ['001', '002']],
    [',5,,6', ['005', '006']],
    ['1,001', ['001']],
    ['2, 1, 002', ['002', '001']],
  ];
  for (const [id, want] of lists) {
    void test(`agent_id list ignores empty items and repeats (one add per agent): '${id}'`, () => {
      const c = okConfig(
        ar(FD, '<location>defined-agent</location>', `<agent_id>${id}</agent_id>`, '<level>3</level>'),
      );
      assert.deepEqual(c.rules[0]?.agentIds, want);
      assert.deepEqual(c.warnings, []);
    });
  }

  void test('agent_id is ignored without defined-agent', () => {
    const c = okConfig(ar(FD, '<location>local</location>', '<agent_id>0</agent_id>', '<level>3</level>'));
    assert.deepEqual(c.rules[0]?.agentIds, []);
    assert.deepEqual(c.warnings, []);
  });

  void test('a rules_group with an empty alternative is warned of; the empty part matches nothing, as in Wazuh', () => {
    const c = okConfig(
      ar(FD, '<location>local</location>', '<level>3</level>', '<rules_group>web|</rules_group>'),
    );
    const g = c.rules[0]?.rulesGroup;
    assert.ok(g);
    assert.equal(g.test('syslog,sshd,'), false);
    assert.equal(g.test('web,accesslog,'), true);
    assert.deepEqual(c.warnings, [
      at(
        15,
        "rules_group 'web|' has an empty alternative (a '|' at an end or doubled, or only an anchor): as in " +
          "Wazuh's OS_Regex it matches nothing, so the other alternatives alone count.",
      ),
    ]);
  });

  void test('a <disabled>yes</disabled> is not undone by a later <disabled>no</disabled>, as in Wazuh', () => {
    const c = okConfig(
      ar(
        '<disabled>yes</disabled>',
        '<disabled>no</disabled>',
        FD,
        '<location>local</location>',
        '<level>3</level>',
      ),
    );
    assert.equal(c.rules[0]?.disabled, true);
    const enabled = okConfig(
      ar(
        '<disabled>no</disabled>',
        '<disabled>no</disabled>',
        FD,
        '<location>local</location>',
        '<level>3</level>',
      ),
    );
    assert.equal(enabled.rules[0]?.disabled, false);
  });

  const badGroups: readonly [string, string][] = [
    ['sshd(', "unbalanced '('"],
    ['(sshd|web)', "'|' inside parentheses"],
    ['((sshd))', 'nested parentheses'],
    ['a\\qb', "unknown escape '\\q'"],
  ];
  for (const [pattern, reason] of badGroups) {
    void test(`a rules_group Wazuh cannot compile loads, warned, and never matches: '${pattern}'`, () => {
      const c = okConfig(
        ar(FD, '<location>local</location>', '<level>3</level>', `<rules_group>${pattern}</rules_group>`),
      );
      const g = c.rules[0]?.rulesGroup;
      assert.ok(g);
      assert.equal(g.source, pattern);
      assert.equal(g.test('syslog,sshd,web,a\\qb,'), false);
      assert.deepEqual(c.warnings, [
        at(
          15,
          `Invalid OSSEC regex in 'rules_group': '${pattern}': ${reason}. Wazuh cannot compile it and matches no rule with it; Riposte does the same.`,
        ),
      ]);
    });
  }

  void test('rules_group compiles to a case-insensitive substring matcher over the group string', () => {
    const c = okConfig(
      ar(FD, '<location>local</location>', '<rules_group>sshd,|pci_dss_11.4,</rules_group>'),
    );
    const g = c.rules[0]?.rulesGroup;
    assert.ok(g);
    assert.equal(g.source, 'sshd,|pci_dss_11.4,');
    assert.equal(g.test('syslog,SSHD,authentication_failed,'), true);
    assert.equal(g.test('syslog,sshd2,'), false);
    assert.equal(g.test('pci_dss_11.4,'), true);
  });

  void test('rules_id uses the Wazuh scanner, and text it drops is warned about', () => {
    const c = okConfig(ar(FD, '<location>local</location>', '<rules_id>5710 5712</rules_id>'));
    assert.deepEqual(c.rules[0]?.rulesId, [5710]);
    assert.deepEqual(c.warnings, [
      at(
        14,
        "rules_id '5710 5712' is read as [5710]: Wazuh's scanner ignores text after a number up to the next comma and stops at any other character.",
      ),
    ]);
    assert.deepEqual(
      okConfig(ar(FD, '<location>local</location>', '<rules_id>,,5710, 5712</rules_id>')).rules[0]?.rulesId,
      [5710, 5712],
    );
  });

  void test('a block without level, rules_group or rules_id never fires and is warned about', () => {
    const c = okConfig(ar(FD, '<location>local</location>'));
    assert.equal(c.rules.length, 1);
    assert.deepEqual(c.warnings, [
      at(11, 'This active response has no level, rules_group or rules_id: it never fires.'),
    ]);
  });

  void test('every error is reported, not only the first', () => {
    const xml = `${COMMANDS}<active-response><command>nope</command><location>local</location></active-response>
<active-response>${FD}<location>somewhere</location></active-response>
<active-response>${FD}<location>local</location><level>99</level><bogus/></active-response>
</ossec_config>`;
    assert.deepEqual(errorsOf(xml), [
      at(
        11,
        "(1303) Invalid command 'nope' in the active response. Defined commands: firewall-drop, restart-wazuh.",
      ),
      at(
        12,
        "(1302) Invalid active response location: 'somewhere'. Accepted: local, server, defined-agent, all, analysis-server, analysisd, AS, any.",
      ),
      at(13, "(1235) Invalid value for element 'level': 99. Accepted: a whole number from 0 to 20."),
      at(13, "(1230) Invalid element in the configuration: 'bogus'."),
    ]);
  });
});
