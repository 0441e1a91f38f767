/**
 * The agent survives every way a script or a sender can misbehave, and records the right outcome.
 * Real daemon, real fixture scripts (sh, python3, node), messages on the execq socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  arMessage,
  daemonLog,
  installScript,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  writeArConf,
  type Daemon,
} from './support/daemon-harness.js';
import { killGroupOf, processesUnder } from '../process/process-probe.js';

interface ExecutionRow {
  id: number;
  arName: string;
  action: string;
  status: string;
  key?: string;
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  note?: string;
}

/** behaviour -> what the agent must record for it (timeout 5 s in ar.conf: stateful). */
const expected: Record<string, { status: string; key: 'ip' | 'basename' | 'none'; signal?: boolean }> = {
  'stateless-ok': { status: 'ok', key: 'none' },
  'stateful-ok': { status: 'ok', key: 'ip' },
  'abort-path': { status: 'ok', key: 'ip' },
  'no-output': { status: 'ok', key: 'none' },
  'non-json-first-line': { status: 'ok', key: 'basename' },
  'empty-keys': { status: 'ok', key: 'basename' },
  'exit-without-reading': { status: 'ok', key: 'none' },
  'read-to-eof': { status: 'ok', key: 'none' },
  'never-exits': { status: 'timed-out', key: 'none' },
  'huge-output': { status: 'ok', key: 'basename' },
  crash: { status: 'failed', key: 'none', signal: true },
  'background-child': { status: 'ok', key: 'none' },
};
const languages = ['sh', 'py', 'js'] as const;

let home = '';
let daemon: Daemon;

before(async () => {
  home = makeHome();
  const lines: string[] = [];
  for (const lang of languages) {
    for (const behaviour of Object.keys(expected)) {
      const name = `${lang}-${behaviour}`;
      installScript(home, `${lang}/${behaviour}`, name);
      lines.push(`${name}5 - ${name} - 5`);
    }
  }
  writeArConf(home, lines);
  writeFileSync(
    join(home, 'etc/ossec.conf'),
    '<ossec_config><active-response><disabled>no</disabled></active-response></ossec_config>\n',
  );
  daemon = await startDaemon(home, [
    'agent',
    '--exec-timeout',
    '6s',
    '--handshake-timeout',
    '3s',
    '--pool',
    '12',
  ]);
});

after(async () => {
  if (daemon.proc.exitCode === null) {
    await daemon.kill9();
  }
  // background-child's sleepers outlive their scripts, as with Wazuh's execd: ended here.
  for (const pid of processesUnder(home)) {
    killGroupOf(pid);
  }
  removeHome(home);
});

async function executions(): Promise<ExecutionRow[]> {
  return (await daemon.api().call<{ items: ExecutionRow[] }>('GET', '/executions?limit=1000')).items;
}

describe('agent daemon: misbehaving scripts and senders', () => {
  test('every fixture behaviour, in sh, python3 and node, ends with the right recorded outcome', async () => {
    const total = languages.length * Object.keys(expected).length;
    const started = Date.now();
    for (const lang of languages) {
      for (const behaviour of Object.keys(expected)) {
        await daemon.send(arMessage(`${lang}-${behaviour}5`, '198.51.100.20'));
      }
    }
    const done = await pollExecutions(total);
    assert.ok(Date.now() - started < 40_000, 'the pool kept going while scripts hung');
    for (const lang of languages) {
      for (const [behaviour, want] of Object.entries(expected)) {
        const name = `${lang}-${behaviour}`;
        const row = done.find((r) => r.arName === `${name}5`);
        assert.ok(row, `${name}: recorded`);
        assert.equal(row.status, want.status, `${name}: status (${JSON.stringify(row)})`);
        const key = want.key === 'ip' ? `${name}-198.51.100.20` : want.key === 'basename' ? name : undefined;
        assert.equal(row.key, key, `${name}: key (${JSON.stringify(row)})`);
        assert.equal(row.timedOut, want.status === 'timed-out', `${name}: timed_out`);
        if (want.signal === true) {
          assert.notEqual(row.signal, undefined, `${name}: killed by a signal`);
        }
      }
    }
  });

  test('invalid messages are logged with Wazuh codes and change nothing', async () => {
    const before = (await executions()).length;
    await daemon.send('this is not json');
    await daemon.send('{"version":1,"command":42}');
    await daemon.send(arMessage('no-such-command0', '198.51.100.21'));
    await daemon.send(arMessage('!../../bin/sh', '198.51.100.21'));
    await daemon.send('x'.repeat(60_000));
    const msgs = await waitFor('the log lines', 5000, () => {
      const m = daemonLog(home).map((l) => l.msg);
      return m.some((x) => x.includes('directory traversal')) ? m : undefined;
    });
    assert.ok(msgs.some((m) => m.startsWith("(1315): Invalid JSON message: 'this is not json'")));
    assert.ok(msgs.some((m) => m.startsWith('(1316): Invalid AR command:')));
    assert.ok(msgs.some((m) => m === "(1311): Invalid command name 'no-such-command0' provided."));
    await daemon.send(arMessage('sh-stateful-ok5', '198.51.100.22'));
    const after = await pollExecutions(before + 1);
    assert.equal(after.length, before + 1, 'only the valid message ran');
    assert.equal(after[0]?.key, 'sh-stateful-ok-198.51.100.22');
    const status = await daemon.api().call<{ pid: number }>('GET', '/status');
    assert.equal(status.pid, daemon.proc.pid);
  });
});

async function pollExecutions(count: number): Promise<ExecutionRow[]> {
  let rows: ExecutionRow[] = [];
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    rows = await executions();
    if (rows.length >= count && rows.every((r) => r.status !== 'running')) {
      return rows;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `expected ${count} finished executions, have ${JSON.stringify(rows.map((r) => [r.arName, r.status]))}`,
  );
}
