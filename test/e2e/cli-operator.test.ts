/**
 * The operator's CLI against a real `riposte start` (issue #9 items 3 and 4): empty lists say so,
 * `ar run` takes a command name and picks its ar.conf entry, prints what it did (not Wazuh's "all
 * agents"), `ar history --follow` prints executions as they happen, `--output json` everywhere.
 * The response is a harmless fixture script (no firewall change).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  installScript,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/daemon-harness.js';

const CONF = `<ossec_config>
  <command>
    <name>mark</name>
    <executable>mark</executable>
  </command>
  <active-response>
    <command>mark</command>
    <location>local</location>
    <rules_id>5712</rules_id>
  </active-response>
</ossec_config>
`;

let home = '';
let daemon: Daemon;

function riposte(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--home', home], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  home = makeHome();
  installScript(home, 'sh/stateless-ok', 'mark');
  const conf = join(home, 'ossec.conf');
  writeFileSync(conf, CONF);
  daemon = await startDaemon(home, ['start', '-c', conf]);
});

after(async () => {
  await daemon.stop();
  removeHome(home);
});

void describe('riposte ar against riposte start', () => {
  void test('an empty list says so; --output json prints nothing', () => {
    assert.deepEqual(riposte('ar', 'list'), { status: 0, stdout: 'No active responses.\n', stderr: '' });
    assert.deepEqual(riposte('ar', 'list', '--output', 'json'), { status: 0, stdout: '', stderr: '' });
    assert.equal(riposte('ar', 'list', '--output', 'yaml').status, 2);
  });

  void test('history --follow prints an execution as it happens; run takes the command name', async () => {
    const follow = spawn(process.execPath, [CLI, 'ar', 'history', '--follow', '--home', home], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor('the follow header', 10_000, () => (out.includes('STARTED') ? true : undefined));
      const run = riposte('ar', 'run', 'mark', '--srcip', '203.0.113.8', '--agent', '000');
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /"mark" is the command of mark0: running mark0\./);
      assert.doesNotMatch(run.stdout, /all agents/);
      assert.match(run.stdout, /Sent to agent 000\.\n$/);
      const line = await waitFor('the followed execution', 15_000, () =>
        out.split('\n').find((l) => / mark0 /.test(l) && / ok /.test(l)),
      );
      assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+000\s+add\s+mark0/);
    } finally {
      follow.kill('SIGINT');
    }
  });

  void test('status: the daemon, agents, active count and last errors', () => {
    const r = riposte('status');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^daemon: +riposte \S+, pid \d+, since \d{4}-\d\d-\d\dT/m);
    assert.match(r.stdout, /^agents: +\d+ connected of \d+$/m);
    assert.match(r.stdout, /^active: +0 active response\(s\)$/m);
    assert.match(r.stdout, /^last errors: /m);
    const json = JSON.parse(riposte('status', '--output', 'json').stdout) as {
      activeResponses: number;
      daemon: { startedAt: string };
    };
    assert.equal(json.activeResponses, 0);
    assert.match(json.daemon.startedAt, /^\d{4}-\d\d-\d\dT.*Z$/);
  });

  void test('an unknown name lists what can run, with a near name', () => {
    const r = riposte('ar', 'run', 'mrak', '--srcip', '203.0.113.8');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /Cannot run "mrak": not an active response here\. Did you mean 'mark'\? Known: mark0/,
    );
  });
});
