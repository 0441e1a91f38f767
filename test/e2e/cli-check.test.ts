/**
 * `riposte check` end to end: runs the built executable on the fixture configs and asserts the exact
 * stdout, stderr and exit code. Paths are given relative to the repository root, as users would.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_AR_CONF_LINES } from '../../src/core/ar-conf.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const DIR = 'test/fixtures/configs';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function riposte(...args: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (...ls: string[]): string => ls.map((l) => `${l}\n`).join('');

void describe('riposte check: valid configurations', () => {
  void test("Wazuh 4.14.7's default manager ossec.conf loads and is summarised", () => {
    assert.deepEqual(riposte('check', '-c', `${DIR}/ossec-server.conf`), {
      status: 0,
      stdout: lines('OK: 6 commands, 0 active responses, 3 white-list entries'),
      stderr: '',
    });
  });

  void test("Wazuh 4.14.7's default agent ossec.conf loads with --agent", () => {
    assert.deepEqual(riposte('check', '--agent', '-c', `${DIR}/ossec-agent.conf`), {
      status: 0,
      stdout: lines('OK (agent): active response enabled, repeated offenders off'),
      stderr: '',
    });
  });

  void test('the agent file checked as a manager file is 1281, as analysisd would say', () => {
    assert.deepEqual(riposte('check', '-c', `${DIR}/ossec-agent.conf`), {
      status: 1,
      stdout: '',
      stderr: lines(
        `${DIR}/ossec-agent.conf:160: (1281) Missing options in the active response configuration.`,
      ),
    });
  });

  void test('a manager config with every AR element: summary on stdout, warnings on stderr', () => {
    const f = `${DIR}/manager-valid.conf`;
    assert.deepEqual(riposte('check', '-c', f), {
      status: 0,
      stdout: lines('OK: 2 commands, 3 active responses (1 disabled), 3 white-list entries'),
      stderr: lines(
        `warning: ${f}:47: (1305) Timeout not allowed for command: 'restart-wazuh'.`,
        `warning: ${f}:36: The first <disabled> of the file is 'yes': as with Wazuh's execd, responses that run ` +
          'on this manager itself (location server, or local for its own events) are disabled.',
      ),
    });
  });

  void test("agent mode: the first <disabled> in any block wins, even a disabled rule's (Wazuh execd)", () => {
    assert.deepEqual(riposte('check', '--agent', '-c', `${DIR}/manager-valid.conf`), {
      status: 0,
      stdout: lines('OK (agent): active response disabled, repeated offenders 30,60 min'),
      stderr: '',
    });
  });

  void test('agent_id 0 is warning 1306: the block is skipped and the file is valid', () => {
    const f = `${DIR}/warn-1306-agent-id.conf`;
    assert.deepEqual(riposte('check', '-c', f), {
      status: 0,
      stdout: lines('OK: 1 command, 0 active responses, 0 white-list entries'),
      stderr: lines(
        `warning: ${f}:9: (1306) Invalid agent ID. Use location=server to run AR on the manager.`,
      ),
    });
  });

  void test('--ar-conf writes the default lines and one line per enabled active response', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
    try {
      const out = path.join(dir, 'ar.conf');
      const r = riposte('check', '-c', `${DIR}/manager-valid.conf`, '--ar-conf', out);
      assert.equal(r.status, 0);
      assert.equal(
        fs.readFileSync(out, 'utf8'),
        lines(
          ...DEFAULT_AR_CONF_LINES,
          'firewall-drop600 - firewall-drop - 600',
          'restart-wazuh0 - restart-wazuh - 0',
        ),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const malformed: readonly [file: string, line: number, message: string][] = [
  [
    'bad-1230-unknown-element.conf',
    5,
    "(1230) Invalid element in the configuration: 'timeout'. <timeout> goes in the <active-response> block; " +
      'a <command> says <timeout_allowed>yes</timeout_allowed>.',
  ],
  ['bad-1234-null-content.conf', 9, '(1234) Invalid NULL content for element: level.'],
  [
    'bad-1235-invalid-value.conf',
    5,
    "(1235) Invalid value for element 'timeout_allowed': true. Accepted: yes or no.",
  ],
  [
    'bad-1235-timeout.conf',
    11,
    "(1235) Invalid value for element 'timeout': 10x. Accepted: a number of seconds (600) or a number " +
      'with a unit s, m, h or d (30s, 10m, 1h, 1d).',
  ],
  ['bad-1237-ip.conf', 4, "(1237) Invalid ip address: '10.0.0.300'."],
  [
    'bad-1280-missing-command-options.conf',
    2,
    "(1280) Missing command options. You must specify a 'name' and 'executable'.",
  ],
  ['bad-1281-missing-ar-options.conf', 2, '(1281) Missing options in the active response configuration.'],
  [
    'bad-1302-location.conf',
    8,
    "(1302) Invalid active response location: 'agent'. Accepted: local, server, defined-agent, all, analysis-server, analysisd, AS, any.",
  ],
  [
    'bad-1303-command-order.conf',
    3,
    "(1303) Invalid command 'firewall-drop' in the active response. It is defined at line 7, after this " +
      'block: a <command> must come before the blocks that use it.',
  ],
  ['bad-1304-no-agent.conf', 6, '(1304) No agent defined for response.'],
  [
    'bad-xml.conf',
    5,
    'XML syntax error: unexpected close tag. Found </commnd> while <command> (line 2) is open: expected </command>.',
  ],
];

void describe('riposte check: malformed configurations (reference §3)', () => {
  for (const [name, line, message] of malformed) {
    void test(`${name}: exit 1, "${message}" at line ${line}`, () => {
      const f = `${DIR}/${name}`;
      assert.deepEqual(riposte('check', '-c', f), {
        status: 1,
        stdout: '',
        stderr: lines(`${f}:${line}: ${message}`),
      });
    });
  }

  void test('every error is reported, one per line, after the warnings', () => {
    const f = `${DIR}/bad-many.conf`;
    assert.deepEqual(riposte('check', '-c', f), {
      status: 1,
      stdout: '',
      stderr: lines(
        `warning: ${f}:26: (1305) Timeout not allowed for command: 'host-deny'.`,
        `${f}:3: (1235) Invalid value for element 'name': !firewall-drop.`,
        `${f}:11: (1303) Invalid command 'firewal-drop' in the active response. Defined commands: host-deny.`,
        `${f}:18: (1235) Invalid value for element 'level': 21. Accepted: a whole number from 0 to 20.`,
        `${f}:20: (1230) Invalid element in the configuration: 'ca_verification'.`,
      ),
    });
  });

  void test('an unreadable file is one line naming the file and the reason', () => {
    const f = `${DIR}/does-not-exist.conf`;
    assert.deepEqual(riposte('check', '-c', f), {
      status: 1,
      stdout: '',
      stderr: lines(`${f}: cannot read: no such file or directory`),
    });
  });

  void test('a missing -c is a usage error (exit 2)', () => {
    const r = riposte('check');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /required option '-c, --config <file>' not specified/);
  });
});
