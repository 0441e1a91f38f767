/**
 * `riposte explain` end to end: the built CLI on the alert fixtures and test/fixtures/configs/explain.conf.
 * Expected decisions are derived by hand from the Wazuh reference (§1.2, §1.8, §3.4, §3.7); block
 * numbers are the #N comments in explain.conf.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = path.join(root, 'dist/src/cli/main.js');
const conf = path.join(root, 'test/fixtures/configs/explain.conf');
const fixture = (name: string): string => path.join(root, 'test/fixtures/alerts', `${name}.json`);

interface Response {
  command: string;
  ar_name: string;
  location: string;
  fires: boolean;
  reason: string;
  targets: string[];
  message: {
    command: string;
    parameters: { extra_args: string[]; alert: { data?: { srcip?: string } } };
  } | null;
}
interface ExplainRecord {
  alert_id: string | null;
  rule_id: string;
  responses: Response[];
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  records: ExplainRecord[];
}

function explain(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [cli, 'explain', '-c', conf, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  const records =
    args.includes('--json') && r.stdout !== ''
      ? r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as ExplainRecord)
      : [];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, records };
}

/** Firing block index -> targets. */
function firing(rec: ExplainRecord): Map<number, string[]> {
  const m = new Map<number, string[]>();
  rec.responses.forEach((r, i) => {
    if (r.fires) {
      m.set(i, r.targets);
    }
  });
  return m;
}

interface Case {
  name: string;
  fixture: string;
  fires: [number, string[]][];
  /** Block index -> substring of its reason. */
  reasons?: [number, string][];
}

const agents = ['--agents', '001,002,003'];

const cases: Case[] = [
  {
    name: 'sshd 5712: level+group AND and rules_id list, local',
    fixture: 'sshd-5712',
    fires: [
      [0, ['001']],
      [1, ['001']],
    ],
    reasons: [
      [4, 'level 10 < 12'],
      [6, 'disabled'],
      [8, 'never fires'],
    ],
  },
  {
    name: 'sshd 5763 from agent 002',
    fixture: 'sshd-5763',
    fires: [
      [0, ['002']],
      [1, ['002']],
    ],
  },
  {
    name: 'local on a manager alert -> 000',
    fixture: 'sshd-manager',
    fires: [
      [0, ['000']],
      [1, ['000']],
    ],
  },
  {
    name: 'white-listed IPv4 CIDR vetoes everything',
    fixture: 'sshd-whitelisted-ipv4',
    fires: [],
    reasons: [
      [0, 'white-listed'],
      [1, '192.168.1.0/24'],
    ],
  },
  {
    name: '::ffff: mapped source white-listed by an IPv4 network',
    fixture: 'sshd-mapped-ipv6',
    fires: [],
    reasons: [[0, '10.0.0.0/8']],
  },
  {
    name: '::ffff: mapped source not listed fires',
    fixture: 'sshd-mapped-ipv6-not-listed',
    fires: [
      [0, ['001']],
      [1, ['001']],
    ],
  },
  {
    name: 'shellshock: all, defined-agent, server',
    fixture: 'shellshock-31168',
    fires: [
      [2, ['001', '002', '003']],
      [3, ['002']],
      [4, ['000']],
    ],
    reasons: [[0, 'does not match rules_group "sshd"']],
  },
  {
    name: 'web attack from IPv6: substring group alternation',
    fixture: 'web-attack-ipv6',
    fires: [[2, ['001', '002', '003']]],
    reasons: [[0, 'level 7 < 10']],
  },
  {
    name: 'web attack from a white-listed IPv6 network',
    fixture: 'web-attack-ipv6-whitelisted',
    fires: [],
    reasons: [[2, '2001:db8:ffff::/48']],
  },
  {
    name: 'FIM 554: server,all quirk -> only 000; compliance group',
    fixture: 'fim-554',
    fires: [
      [5, ['000']],
      [10, ['002']],
    ],
  },
  { name: 'Windows 60122: group only, no srcip', fixture: 'windows-60122', fires: [[7, ['003']]] },
  { name: 'sudo with dstuser root', fixture: 'sudo-dstuser', fires: [[9, ['002']]] },
  {
    name: 'crafted dstuser (1272)',
    fixture: 'hostile-dstuser',
    fires: [],
    reasons: [[9, 'invalid dstuser "root;reboot"']],
  },
  { name: 'absurdly long fields still fire', fixture: 'hostile-long-fields', fires: [[7, ['001']]] },
];

void describe('riposte explain --json', () => {
  for (const c of cases) {
    void test(c.name, () => {
      const r = explain([fixture(c.fixture), '--json', ...agents]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.records.length, 1);
      const rec = r.records[0]!;
      assert.equal(rec.responses.length, 11);
      assert.deepEqual([...firing(rec)], c.fires);
      for (const [i, text] of c.reasons ?? []) {
        assert.ok(rec.responses[i]!.reason.includes(text), `#${i}: ${rec.responses[i]!.reason}`);
      }
      for (const resp of rec.responses) {
        assert.equal(resp.message === null, !resp.fires);
      }
    });
  }

  void test('crafted srcip (1271) in both hostile lines', () => {
    const r = explain([fixture('hostile-srcip'), '--json', ...agents]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.records.length, 2);
    for (const rec of r.records) {
      assert.deepEqual([...firing(rec)], []);
      assert.ok(rec.responses[7]!.reason.startsWith('invalid srcip'), rec.responses[7]!.reason);
    }
  });

  void test('exact message bytes for the server block with extra_args', () => {
    const line = readFileSync(fixture('shellshock-31168'), 'utf8').trim();
    const rec = explain([fixture('shellshock-31168'), '--json', ...agents]).records[0]!;
    const expected =
      '{"version":1,"origin":{"name":"node01","module":"wazuh-analysisd"},"command":"custom-logger0",' +
      '"parameters":{"extra_args":["-arg1","--arg2","arg3",";","cat","/etc/passwd"],"alert":' +
      line +
      '}}';
    assert.equal(JSON.stringify(rec.responses[4]!.message), expected);
    assert.equal(rec.alert_id, '1763626833.431907');
    assert.equal(rec.rule_id, '31168');
    assert.deepEqual(Object.keys(rec.responses[4]!), [
      'command',
      'ar_name',
      'location',
      'fires',
      'reason',
      'targets',
      'message',
    ]);
    assert.equal(rec.responses[2]!.ar_name, 'firewall-drop300');
  });

  void test('the message keeps the original ::ffff: srcip', () => {
    const rec = explain([fixture('sshd-mapped-ipv6-not-listed'), '--json']).records[0]!;
    assert.equal(rec.responses[0]!.message?.parameters.alert.data?.srcip, '::ffff:203.0.113.7');
  });

  void test('without --agents, all means the alert agent only', () => {
    const rec = explain([fixture('shellshock-31168'), '--json']).records[0]!;
    assert.deepEqual(rec.responses[2]!.targets, ['001']);
  });

  void test('all.json: every fixture, exit 0', () => {
    const r = explain([fixture('all'), '--json', ...agents]);
    assert.equal(r.status, 0, r.stderr);
    const expectedLines = readFileSync(fixture('all'), 'utf8').trim().split('\n').length;
    assert.equal(r.records.length, expectedLines);
  });

  void test('reads stdin with -', () => {
    const r = explain(['-', '--json'], readFileSync(fixture('sshd-5712'), 'utf8'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      [...firing(r.records[0]!)],
      [
        [0, ['001']],
        [1, ['001']],
      ],
    );
  });
});

void describe('riposte explain: bad input', () => {
  void test('malformed lines are reported with their number and the rest go on', () => {
    const r = explain([fixture('malformed'), '--json']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^line 2: invalid JSON/m);
    assert.match(r.stderr, /^line 4: alert has no 'rule' object$/m);
    assert.deepEqual(
      r.records.map((x) => x.rule_id),
      ['5712', '31168'],
    );
  });

  void test('an alert without rule is rejected', () => {
    const r = explain([fixture('hostile-missing-rule'), '--json']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^line 1: alert has no 'rule' object$/m);
  });

  void test('invalid --agents is a usage error', () => {
    const r = explain([fixture('sshd-5712'), '--agents', '001,x;id']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Invalid agent id "x;id"/);
  });

  void test('human output: a header and one line per block', () => {
    const r = explain([fixture('sshd-5712')]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 12);
    assert.match(
      lines[0]!,
      /^line 1: alert "1763626517.402876" rule 5712 level 10 agent "001" srcip "203.0.113.45"$/,
    );
    assert.match(lines[1]!, /^ {2}#0 firewall-drop600 local: fires -> 001 \(level 10 >= 10 and /);
    assert.equal(lines[5], '  #4 custom-logger0 server: no: level 10 < 12');
  });

  void test('human output: alert text a terminal would act on is printed escaped', () => {
    // JSON quoting already escapes C0 controls; a C1 control (U+009B, CSI) and a bidi override
    // (U+202E) pass it and are escaped on output.
    const alert = JSON.stringify({
      id: '1.2',
      rule: { id: '5712', level: 10 },
      agent: { id: '001' },
      data: { srcip: '203.0.113.45', dstuser: 'r\u009b2J\u202eoot' },
    });
    const r = explain(['-'], `${alert}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[\u0080-\u009f\u202e]/);
    assert.match(r.stdout.split('\n')[0]!, / dstuser "r\\x9b2J\\u\{202e\}oot"$/);
  });
});
