/**
 * `riposte check --home DIR` reports each executable that a used command names but that cannot run
 * from DIR/active-response/bin (absent, with a near name; not executable), and `--ar-conf OUT`
 * creates OUT's directory. The built executable, run as a user would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAIN = path.resolve('dist/src/cli/main.js');

const CONF = `<ossec_config>
  <command>
    <name>firewall-drop</name>
    <executable>firewall-drp</executable>
    <timeout_allowed>yes</timeout_allowed>
  </command>
  <command>
    <name>notify-team</name>
    <executable>notify-team.sh</executable>
  </command>
  <command>
    <name>deny</name>
    <executable>host-deny</executable>
  </command>
  <command>
    <name>unused</name>
    <executable>nowhere</executable>
  </command>
  <active-response>
    <command>firewall-drop</command>
    <location>local</location>
    <level>6</level>
  </active-response>
  <active-response>
    <command>notify-team</command>
    <location>local</location>
    <level>6</level>
  </active-response>
  <active-response>
    <command>deny</command>
    <location>local</location>
    <level>6</level>
  </active-response>
</ossec_config>
`;

let dir = '';
let conf = '';
let home = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-check-'));
  conf = path.join(dir, 'ossec.conf');
  home = path.join(dir, 'home');
  fs.writeFileSync(conf, CONF);
  fs.mkdirSync(path.join(home, 'active-response/bin'), { recursive: true });
  fs.writeFileSync(path.join(home, 'active-response/bin/notify-team.sh'), '#!/bin/sh\n', { mode: 0o640 });
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function riposte(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

void describe('riposte check --home', () => {
  void test('an absent executable (with a near name) and a non-executable one are errors, exit 1', () => {
    const bin = path.join(home, 'active-response/bin');
    assert.deepEqual(riposte('check', '-c', conf, '--home', home), {
      status: 1,
      stdout: '',
      stderr:
        `${conf}:2: Executable 'firewall-drp' of command 'firewall-drop': ${bin}/firewall-drp does not ` +
        "exist. Did you mean 'firewall-drop'?\n" +
        `${conf}:7: Executable 'notify-team.sh' of command 'notify-team': ${bin}/notify-team.sh is not ` +
        'executable (chmod 750 it).\n',
    });
  });

  void test('fixed: stock scripts count as present, unused commands are not checked', () => {
    fs.chmodSync(path.join(home, 'active-response/bin/notify-team.sh'), 0o750);
    const fixed = path.join(dir, 'fixed.conf');
    fs.writeFileSync(fixed, CONF.replace('firewall-drp', 'firewall-drop'));
    assert.deepEqual(riposte('check', '-c', fixed, '--home', home), {
      status: 0,
      stdout: 'OK: 4 commands, 3 active responses, 0 white-list entries\n',
      stderr: '',
    });
  });

  void test("--ar-conf creates the output's directory", () => {
    const out = path.join(dir, 'new', 'etc', 'shared', 'ar.conf');
    assert.equal(riposte('check', '-c', conf, '--ar-conf', out).status, 0);
    assert.match(fs.readFileSync(out, 'utf8'), /^firewall-drop0 - firewall-drp - 0$/m);
  });
});
