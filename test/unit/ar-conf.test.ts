/** Reference §2.2 and §3.5: ar.conf writing, reading and lookup. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AR_CONF_MAX_ENTRIES,
  DEFAULT_AR_CONF_LINES,
  lookupCommand,
  parseArConf,
  renderArConf,
} from '../../src/core/ar-conf.js';
import { okConfig } from './config/helpers.js';

const LINUX_BINS = new Set(['active-response/bin/restart-wazuh', 'active-response/bin/firewall-drop']);
const onLinux = (p: string): boolean => LINUX_BINS.has(p);
const INVALID = { level: 'error', message: "(1313): Invalid active response config: 'etc/shared/ar.conf'." };

void describe('renderArConf', () => {
  void test('the six default restart lines, then one line per enabled rule, \\n line ends', () => {
    const c = okConfig(`<ossec_config>
<command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
<command><name>host-deny</name><executable>host-deny</executable><timeout_allowed>yes</timeout_allowed></command>
<active-response><command>firewall-drop</command><location>local</location><level>5</level><timeout>600</timeout></active-response>
<active-response><disabled>yes</disabled><command>host-deny</command><location>local</location><level>5</level></active-response>
<active-response><command>firewall-drop</command><location>all</location><level>9</level><timeout>1h</timeout></active-response>
</ossec_config>`);
    const text = renderArConf(c);
    assert.equal(
      text,
      [
        ...DEFAULT_AR_CONF_LINES,
        'firewall-drop600 - firewall-drop - 600',
        'firewall-drop3600 - firewall-drop - 3600',
      ]
        .map((l) => `${l}\n`)
        .join(''),
    );
    assert.equal(DEFAULT_AR_CONF_LINES.length, 6);
  });
});

void describe('parseArConf', () => {
  void test('the default lines resolve restart-wazuh0 to the executable present on this system', () => {
    const { table, logs } = parseArConf(DEFAULT_AR_CONF_LINES.join('\n') + '\n', onLinux);
    assert.deepEqual(table.entries, [
      { name: 'restart-ossec0', program: '', timeout: 0, absent: 'active-response/bin/restart-ossec.sh' },
      { name: 'restart-wazuh0', program: 'active-response/bin/restart-wazuh', timeout: 0 },
    ]);
    // Quiet for expected absences (a documented difference): only the name left without a program,
    // at debug level; Wazuh logs all five absent alternatives at info level.
    assert.deepEqual(logs, [
      {
        level: 'debug',
        message:
          "Active response command not present: 'active-response/bin/restart-ossec.sh'. Not using it on this system.",
      },
    ]);
  });

  void test('an absent executable of a configured response is a warning with a near file name', () => {
    const { logs } = parseArConf('firewall-drp600 - firewall-drp - 600\n', onLinux, {
      binFiles: ['firewall-drop', 'restart-wazuh'],
    });
    assert.deepEqual(logs, [
      {
        level: 'warning',
        message:
          "Active response command not present: 'active-response/bin/firewall-drp'. Not using it on this " +
          "system. Executions of 'firewall-drp600' will be recorded as failed. Did you mean 'firewall-drop'?",
      },
    ]);
  });

  void test('"not present" is logged only on the first read', () => {
    const { logs } = parseArConf('x0 - missing - 0\n', onLinux, { firstRead: false });
    assert.deepEqual(logs, []);
  });

  void test('duplicate names: first wins unless it is missing and a later one exists (first timeout kept)', () => {
    const text = 'a5 - missing - 5\na5 - firewall-drop - 9\nb1 - firewall-drop - 1\nb1 - restart-wazuh - 2\n';
    const { table } = parseArConf(text, onLinux, { firstRead: false });
    assert.deepEqual(table.entries, [
      { name: 'a5', program: 'active-response/bin/firewall-drop', timeout: 5 },
      { name: 'b1', program: 'active-response/bin/firewall-drop', timeout: 1 },
    ]);
  });

  void test("a line starting with '!' or missing a ' - ' separator is 1313", () => {
    for (const line of ['!x0 - firewall-drop - 0', 'x0 - firewall-drop', 'x0 firewall-drop 0', '']) {
      const { table, logs } = parseArConf(`${line}\n`, onLinux);
      assert.deepEqual([table.entries, logs], [[], [INVALID]], JSON.stringify(line));
    }
  });

  void test('a name longer than 255 characters is 1318 and truncated', () => {
    const name = 'n'.repeat(300);
    const { table, logs } = parseArConf(`${name} - firewall-drop - 0`, onLinux);
    assert.equal(table.entries[0]?.name, name.slice(0, 255));
    assert.deepEqual(logs, [
      { level: 'error', message: `(1318): Command name truncated ${name.slice(0, 255)}` },
    ]);
  });

  void test('an executable with a parent-folder reference is refused and kept with an empty path', () => {
    const { table, logs } = parseArConf('evil0 - ../../bin/sh - 0\n', () => true);
    assert.deepEqual(table.entries, [{ name: 'evil0', program: '', timeout: 0 }]);
    assert.deepEqual(logs, [
      {
        level: 'error',
        message: "Active response command '../../bin/sh' vulnerable to directory traversal attack. Ignoring.",
      },
    ]);
    assert.deepEqual(lookupCommand(table, 'evil0'), { kind: 'not-present', program: '' });
  });

  void test('the timeout is atoi of the rest of the line', () => {
    const { table } = parseArConf('a - firewall-drop - 60 # note\nb - firewall-drop - x\n', onLinux);
    assert.deepEqual(
      table.entries.map((e) => e.timeout),
      [60, 0],
    );
  });

  void test(`more than ${AR_CONF_MAX_ENTRIES} names are refused (Wazuh overflows its table)`, () => {
    const lines = Array.from({ length: AR_CONF_MAX_ENTRIES + 1 }, (_, i) => `n${i} - firewall-drop - 0`);
    const { table, logs } = parseArConf(lines.join('\n'), onLinux);
    assert.equal(table.entries.length, AR_CONF_MAX_ENTRIES);
    assert.deepEqual(logs, [
      {
        level: 'error',
        message: `Active response table is full (64 names): 'n${AR_CONF_MAX_ENTRIES}' ignored.`,
      },
    ]);
  });
});

void describe('lookupCommand', () => {
  const { table } = parseArConf(
    'firewall-drop600 - firewall-drop - 600\nhost-deny0 - host-deny - 0\n',
    onLinux,
  );

  void test('an exact, case-sensitive name gives the program and timeout', () => {
    assert.deepEqual(lookupCommand(table, 'firewall-drop600'), {
      kind: 'found',
      program: 'active-response/bin/firewall-drop',
      timeout: 600,
    });
    assert.deepEqual(lookupCommand(table, 'Firewall-drop600'), { kind: 'unknown' });
    assert.deepEqual(lookupCommand(table, 'firewall-drop0'), { kind: 'unknown' });
  });

  void test('an entry whose executable is absent is not-present, with the path looked for', () => {
    assert.deepEqual(lookupCommand(table, 'host-deny0'), {
      kind: 'not-present',
      program: 'active-response/bin/host-deny',
    });
  });

  void test("'!name' is a custom script under active-response/bin with timeout 0", () => {
    assert.deepEqual(lookupCommand(table, '!my-script.sh'), {
      kind: 'custom',
      program: 'active-response/bin/my-script.sh',
      timeout: 0,
    });
  });

  void test("'!name' with a parent-folder reference is rejected with Wazuh's warning", () => {
    assert.deepEqual(lookupCommand(table, '!../../bin/sh'), {
      kind: 'rejected',
      log: "Active response command '../../bin/sh' vulnerable to directory traversal attack. Ignoring.",
    });
  });

  void test("'!name' with a path too long is rejected, naming its first 32 characters", () => {
    const long = 'x'.repeat(5000);
    assert.deepEqual(lookupCommand(table, `!${long}`), {
      kind: 'rejected',
      log: `Cannot execute command '${'x'.repeat(32)}...': path too long.`,
    });
  });
});
