/**
 * firewalld-drop against a recording stand-in for firewall-cmd: a real firewalld cannot run in CI.
 * The stand-in is put in /usr/local/sbin inside a private mount namespace (the script resolves tools
 * in fixed system directories, never $PATH), records each argv as one JSON line and keeps the rich
 * rules in a state file, answering --query-rich-rule like firewall-cmd (0 present, 1 absent).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SRCIP_INVALID_LOG } from '../../src/scripts/contract/input.js';
import { SYSTEM_BIN_DIRS } from '../../src/scripts/contract/tools.js';
import { richRule } from '../../src/scripts/firewalld-drop.js';
import { parseIp } from '../../src/core/net/ip.js';
import {
  alertWith,
  arMessage,
  BAD_IPS,
  installedShim,
  privateMountPrefix,
  readArLog,
  runShim,
  tempDir,
} from './stock-b/harness.js';

const STAND_IN = `#!${process.execPath}
const fs = require('node:fs');
const dir = process.env.FAKE_FW_DIR;
const args = process.argv.slice(2);
fs.appendFileSync(dir + '/calls.jsonl', JSON.stringify(args) + '\\n');
if (process.env.FAKE_FW_FAIL) { process.stderr.write('Error: COMMAND_FAILED\\n'); process.exit(13); }
const stateFile = dir + '/rules.json';
const rules = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : [];
const [op, rule] = args;
if (op === '--query-rich-rule') { process.stdout.write(rules.includes(rule) ? 'yes\\n' : 'no\\n'); process.exit(rules.includes(rule) ? 0 : 1); }
if (op === '--add-rich-rule') { if (!rules.includes(rule)) rules.push(rule); }
else if (op === '--remove-rich-rule') { rules.splice(rules.indexOf(rule) >>> 0, 1); }
else { process.exit(2); }
fs.writeFileSync(stateFile, JSON.stringify(rules));
process.stdout.write('success\\n');
`;

const root = tempDir('firewalld');
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const realFirewallCmd = SYSTEM_BIN_DIRS.filter((d) => d !== '/usr/local/sbin').some((d) =>
  fs.existsSync(path.join(d, 'firewall-cmd')),
);
const skip = realFirewallCmd
  ? 'a real firewall-cmd is installed outside /usr/local/sbin'
  : !fs.existsSync('/usr/local/sbin')
    ? 'no /usr/local/sbin to mount the stand-in on'
    : false;

let counter = 0;

/** Fresh home, stand-in dir (mounted on /usr/local/sbin) and record dir. `withTool` false = no firewall-cmd. */
function setup(withTool = true): { home: string; rec: string; prefix: string[]; shim: string } {
  const dir = path.join(root, `case-${++counter}`);
  const bin = path.join(dir, 'sbin');
  const rec = path.join(dir, 'rec');
  const home = path.join(dir, 'home');
  for (const d of [bin, rec, home, path.join(dir, 'work')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  if (withTool) {
    fs.writeFileSync(path.join(bin, 'firewall-cmd'), STAND_IN, { mode: 0o755 });
  }
  const prefix = privateMountPrefix('/usr/local/sbin', bin, path.join(dir, 'work'));
  return { home, rec, prefix, shim: installedShim(home, 'firewalld-drop') };
}

async function run(
  c: ReturnType<typeof setup>,
  command: string,
  srcip: unknown,
  env: Record<string, string> = {},
): Promise<{ code: number | null; log: string[]; calls: string[][] }> {
  const msg = arMessage(command, alertWith({ srcip }), [], 'firewalld-drop');
  const cont = arMessage('continue', alertWith({ srcip }), [], 'firewalld-drop');
  const r = await runShim({
    prefix: c.prefix,
    shim: c.shim,
    stdinLines: [msg, cont],
    env: { ...process.env, FAKE_FW_DIR: c.rec, ...env },
  });
  assert.notEqual(r.code, 99, `private /usr/local/sbin could not be mounted: ${r.stderr}`);
  const callsFile = path.join(c.rec, 'calls.jsonl');
  const calls = fs.existsSync(callsFile)
    ? fs
        .readFileSync(callsFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[])
    : [];
  fs.rmSync(callsFile, { force: true });
  return { code: r.code, log: readArLog(c.home, 'active-response/bin/firewalld-drop'), calls };
}

void describe('firewalld-drop rich rule', () => {
  void test("is Wazuh's exact text, family from the address version", () => {
    assert.equal(richRule(parseIp('192.0.2.5')!), 'rule family=ipv4 source address=192.0.2.5 drop');
    assert.equal(richRule(parseIp('2001:DB8::5')!), 'rule family=ipv6 source address=2001:db8::5 drop');
  });
});

void describe('firewalld-drop script (recording stand-in)', { skip }, () => {
  const v4 = 'rule family=ipv4 source address=192.0.2.5 drop';

  void test('add queries then adds; a repeated add only queries; delete removes; repeated delete only queries', async () => {
    const c = setup();
    const add = await run(c, 'add', '192.0.2.5');
    assert.equal(add.code, 0);
    assert.deepEqual(add.calls, [
      ['--query-rich-rule', v4],
      ['--add-rich-rule', v4],
    ]);
    assert.equal(add.log.at(-1), 'Ended');

    const again = await run(c, 'add', '192.0.2.5');
    assert.equal(again.code, 0);
    assert.deepEqual(again.calls, [['--query-rich-rule', v4]]);
    assert.ok(again.log.includes(`Rule '${v4}' already present`));

    const del = await run(c, 'delete', '192.0.2.5');
    assert.equal(del.code, 0);
    assert.deepEqual(del.calls, [
      ['--query-rich-rule', v4],
      ['--remove-rich-rule', v4],
    ]);
    const delAgain = await run(c, 'delete', '192.0.2.5');
    assert.equal(delAgain.code, 0);
    assert.deepEqual(delAgain.calls, [['--query-rich-rule', v4]]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(c.rec, 'rules.json'), 'utf8')), []);
  });

  void test('IPv6 uses family=ipv6 and the canonical address; IPv4-mapped acts on the IPv4 address', async () => {
    const c = setup();
    const v6 = await run(c, 'add', '2001:DB8:0::9');
    assert.deepEqual(v6.calls[1], ['--add-rich-rule', 'rule family=ipv6 source address=2001:db8::9 drop']);
    const mapped = await run(c, 'add', '::ffff:198.51.100.4');
    assert.deepEqual(mapped.calls[1], [
      '--add-rich-rule',
      'rule family=ipv4 source address=198.51.100.4 drop',
    ]);
  });

  void test('firewall-cmd failing: exit 255 with the action, rule and stderr in the log', async () => {
    const c = setup();
    const r = await run(c, 'add', '192.0.2.5', { FAKE_FW_FAIL: '1' });
    assert.equal(r.code, 255);
    assert.equal(
      r.log.at(-1),
      `Unable to run firewall-cmd, action: '--query-rich-rule', rule: '${v4}': Error: COMMAND_FAILED`,
    );
  });

  void test('firewall-cmd missing: exit 255 (as Wazuh)', async () => {
    const c = setup(false);
    const r = await run(c, 'add', '192.0.2.5');
    assert.equal(r.code, 255);
    assert.match(r.log.at(-1) ?? '', /^The firewall-cmd file is not accessible/);
  });

  void test('invalid IPs, injections, missing srcip: exit 255, the log line, firewall-cmd never run', async () => {
    const c = setup();
    for (const bad of [...BAD_IPS, undefined]) {
      const r = await run(c, 'add', bad);
      assert.equal(r.code, 255, JSON.stringify(bad));
      assert.equal(r.log.at(-1), SRCIP_INVALID_LOG);
      assert.deepEqual(r.calls, []);
    }
  });

  void test('unknown command: exit 255, firewall-cmd never run', async () => {
    const c = setup();
    const r = await run(c, 'flush', '192.0.2.5');
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), "Invalid value of 'command'");
    assert.deepEqual(r.calls, []);
  });
});
