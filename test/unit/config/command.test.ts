/** Reference §3.1: `<command>` blocks. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { at, COMMANDS, errorsOf, okConfig, withAr } from './helpers.js';

const one = (inner: string): string => `<ossec_config>\n<command>\n${inner}\n</command>\n</ossec_config>\n`;

void describe('<command> (reference §3.1)', () => {
  void test('the shipped commands compile with their executables and flags', () => {
    const c = okConfig(`${COMMANDS}</ossec_config>`);
    assert.deepEqual(
      c.commands.map((x) => [x.name, x.executable, x.timeoutAllowed, x.line]),
      [
        ['firewall-drop', 'firewall-drop', true, 2],
        ['restart-wazuh', 'restart-wazuh', false, 7],
      ],
    );
  });

  void test('timeout_allowed defaults to no (1305)', () => {
    const r = okConfig(
      withAr(
        '<command>restart-wazuh</command><location>local</location><level>10</level><timeout>600</timeout>',
      ),
    );
    assert.equal(r.commands.find((c) => c.name === 'restart-wazuh')?.timeoutAllowed, false);
    assert.equal(r.rules[0]?.timeout, 0);
    assert.equal(r.rules[0]?.arName, 'restart-wazuh0');
    assert.deepEqual(r.warnings, [at(12, "(1305) Timeout not allowed for command: 'restart-wazuh'.")]);
  });

  const badTimeoutAllowed = ['Yes', 'true', '1', 'NO'];
  for (const v of badTimeoutAllowed) {
    void test(`timeout_allowed must be exactly yes or no (1235): '${v}'`, () => {
      const xml = one(`<name>x</name><executable>x</executable>\n<timeout_allowed>${v}</timeout_allowed>`);
      assert.deepEqual(errorsOf(xml), [
        at(4, `(1235) Invalid value for element 'timeout_allowed': ${v}. Accepted: yes or no.`),
      ]);
    });
  }

  void test('surrounding whitespace in a value is trimmed by the reader', () => {
    const c = okConfig(
      one('<name> x </name><executable>\n  y\n</executable><timeout_allowed> yes </timeout_allowed>'),
    );
    assert.deepEqual(
      [c.commands[0]?.name, c.commands[0]?.executable, c.commands[0]?.timeoutAllowed],
      ['x', 'y', true],
    );
  });

  void test("command name starting with '!' is 1235", () => {
    assert.deepEqual(errorsOf(one('<name>!custom</name>\n<executable>x</executable>')), [
      at(3, "(1235) Invalid value for element 'name': !custom."),
    ]);
  });

  void test('missing name or executable is 1280', () => {
    const msg = "(1280) Missing command options. You must specify a 'name' and 'executable'.";
    assert.deepEqual(errorsOf(one('<name>x</name>')), [at(2, msg)]);
    assert.deepEqual(errorsOf(one('<executable>x</executable>')), [at(2, msg)]);
  });

  void test('empty element content is 1234', () => {
    assert.deepEqual(errorsOf(one('<name></name>\n<executable>x</executable>')), [
      at(3, '(1234) Invalid NULL content for element: name.'),
    ]);
  });

  void test('unknown element in a command is 1230', () => {
    assert.deepEqual(errorsOf(one('<name>x</name>\n<executable>x</executable>\n<timeout>5</timeout>')), [
      at(
        5,
        "(1230) Invalid element in the configuration: 'timeout'. <timeout> goes in the <active-response> " +
          'block; a <command> says <timeout_allowed>yes</timeout_allowed>.',
      ),
    ]);
  });

  void test('expect is accepted and ignored (deprecated since 4.2.0)', () => {
    const c = okConfig(
      one('<name>x</name><executable>x</executable><expect>srcip</expect><expect></expect>'),
    );
    assert.equal(c.commands[0]?.name, 'x');
  });

  void test('extra_args are split on spaces with strtok semantics', () => {
    const c = okConfig(
      one(
        '<name>x</name><executable>x</executable><extra_args>-arg1  --arg2 arg3 ; cat /etc/passwd</extra_args>',
      ),
    );
    assert.deepEqual(c.commands[0]?.extraArgs, ['-arg1', '--arg2', 'arg3', ';', 'cat', '/etc/passwd']);
  });

  void test('extra_args are truncated to 2047 characters before splitting', () => {
    const long = `${'a'.repeat(2040)} bcdefghij`;
    const c = okConfig(one(`<name>x</name><executable>x</executable><extra_args>${long}</extra_args>`));
    assert.deepEqual(c.commands[0]?.extraArgs, ['a'.repeat(2040), 'bcdefg']);
  });

  void test('duplicate command names: the first definition wins (warned)', () => {
    const xml = `${COMMANDS}<command><name>firewall-drop</name><executable>other</executable></command>
<active-response><command>firewall-drop</command><location>local</location><level>5</level><timeout>60</timeout></active-response>
</ossec_config>`;
    const c = okConfig(xml);
    assert.equal(c.commands.length, 2);
    assert.equal(c.rules[0]?.command.executable, 'firewall-drop');
    assert.equal(c.rules[0]?.arName, 'firewall-drop60');
    assert.deepEqual(c.warnings, [
      at(11, "Command 'firewall-drop' is already defined at line 2; the first definition is used."),
    ]);
  });

  void test('a <command> inside <localfile> is not an active-response command', () => {
    const c = okConfig(
      '<ossec_config>\n<localfile><log_format>command</log_format><command>df -P</command></localfile>\n</ossec_config>',
    );
    assert.equal(c.commands.length, 0);
  });

  const outside = ['../../bin/sh', '/bin/sh', 'sub/../x'];
  for (const exe of outside) {
    void test(`an executable that leaves active-response/bin is refused (Riposte): ${exe}`, () => {
      assert.deepEqual(errorsOf(one(`<name>x</name>\n<executable>${exe}</executable>`)), [
        at(
          4,
          `Invalid value for element 'executable': ${exe}. It must be a file name under active-response/bin.`,
        ),
      ]);
    });
  }

  void test("a name holding ' - ' would corrupt ar.conf and is refused (Riposte)", () => {
    assert.deepEqual(errorsOf(one('<name>a - b</name>\n<executable>x</executable>')), [
      at(
        3,
        "Invalid value for element 'name': a - b. It cannot hold a line break or ' - ' (the ar.conf separator).",
      ),
    ]);
  });
});
