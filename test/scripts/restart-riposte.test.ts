/**
 * restart-riposte and its ar.conf aliases, with a dummy "agent" process that writes the pid file and
 * records SIGUSR2. (Without a riposte unit loaded in systemd, the script signals the pid.)
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { restartOssecAlias, restartRiposte, restartWazuhAlias } from '../../src/scripts/restart-riposte.js';
import { stockScripts } from '../../src/scripts/registry.js';
import { alertWith, arMessage, runInProcess, tempDir } from './stock-b/harness.js';

const root = tempDir('restart');
const started: number[] = [];
after(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;

/** A dummy agent: writes `<home>/var/agent.pid` once running, writes `got-usr2` and exits on SIGUSR2. */
async function dummyAgent(): Promise<{ home: string; pid: number; exited: Promise<void> }> {
  const home = path.join(root, `home-${++counter}`);
  fs.mkdirSync(path.join(home, 'var'), { recursive: true });
  const code = `
    const fs = require('node:fs');
    process.on('SIGUSR2', () => { fs.writeFileSync(process.argv[1] + '/got-usr2', 'yes'); process.exit(0); });
    // Written aside, then renamed: the file appears whole, so a later write cannot refresh the mtime
    // the stale-pid test sets once the file exists.
    fs.writeFileSync(process.argv[1] + '/var/agent.pid.tmp', String(process.pid) + '\\n');
    fs.renameSync(process.argv[1] + '/var/agent.pid.tmp', process.argv[1] + '/var/agent.pid');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code, home], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      resolve();
    }),
  );
  const pidFile = path.join(home, 'var', 'agent.pid');
  // Bounded by time, not by a count of short sleeps: node may start slowly on a busy machine.
  const deadline = Date.now() + 15_000;
  while (!fs.existsSync(pidFile) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(child.pid !== undefined && fs.existsSync(pidFile), 'dummy agent wrote its pid file');
  started.push(child.pid);
  return { home, pid: child.pid, exited };
}

const message = (command: string, name: string): string => arMessage(command, alertWith({}), [], name);

void describe('restart-riposte', () => {
  void test('sends SIGUSR2 to the agent named by var/agent.pid; stateless (no check_keys); exit 0', async () => {
    const agent = await dummyAgent();
    const r = await runInProcess(restartRiposte, agent.home, message('add', 'restart-riposte'));
    assert.equal(r.code, 0, r.log.join('\n'));
    assert.deepEqual(r.written, []);
    assert.ok(r.log.includes(`Sent SIGUSR2 to the agent (pid ${agent.pid})`));
    await agent.exited;
    assert.equal(fs.readFileSync(path.join(agent.home, 'got-usr2'), 'utf8'), 'yes');
  });

  void test('restart-wazuh and restart-ossec.sh are registry aliases with the same effect', async () => {
    assert.equal(stockScripts.get('restart-wazuh'), restartWazuhAlias);
    assert.equal(stockScripts.get('restart-ossec.sh'), restartOssecAlias);
    for (const alias of [restartWazuhAlias, restartOssecAlias]) {
      const agent = await dummyAgent();
      const r = await runInProcess(alias, agent.home, message('delete', alias.name));
      assert.equal(r.code, 0, r.log.join('\n'));
      await agent.exited;
      assert.ok(fs.existsSync(path.join(agent.home, 'got-usr2')));
    }
  });

  void test('a pid file older than the process holding that pid is stale: exit 255, nothing signalled', async () => {
    const agent = await dummyAgent();
    const pidFile = path.join(agent.home, 'var', 'agent.pid');
    const hourAgo = Date.now() / 1000 - 3600;
    fs.utimesSync(pidFile, hourAgo, hourAgo);
    const r = await runInProcess(restartRiposte, agent.home, message('add', 'restart-riposte'));
    assert.equal(r.code, 255);
    assert.equal(
      r.log.at(-1),
      `Unable to restart the agent: Stale pid file '${pidFile}': pid ${agent.pid} started after the file was written`,
    );
    assert.equal(fs.existsSync(path.join(agent.home, 'got-usr2')), false);
    process.kill(agent.pid, 0); // still alive
  });

  void test('missing pid file, garbage pid, dead pid: exit 255 with the reason', async () => {
    const home = path.join(root, 'no-agent');
    fs.mkdirSync(path.join(home, 'var'), { recursive: true });
    const pidFile = path.join(home, 'var', 'agent.pid');
    const cases: [string | undefined, string][] = [
      [undefined, `Cannot read pid file '${pidFile}': ENOENT`],
      ['1;id\n', `Invalid pid in '${pidFile}'`],
      ['1\n', `Invalid pid in '${pidFile}'`],
    ];
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((r) => dead.on('exit', r));
    cases.push([`${dead.pid ?? 0}\n`, `The agent (pid ${dead.pid ?? 0} from '${pidFile}') is not running`]);
    for (const [content, why] of cases) {
      fs.rmSync(pidFile, { force: true });
      if (content !== undefined) {
        fs.writeFileSync(pidFile, content);
      }
      const r = await runInProcess(restartRiposte, home, message('add', 'restart-riposte'));
      assert.equal(r.code, 255);
      assert.equal(r.log.at(-1), `Unable to restart the agent: ${why}`);
    }
  });

  void test('unknown command or malformed envelope: exit 255, nothing signalled', async () => {
    const agent = await dummyAgent();
    const unknown = await runInProcess(restartRiposte, agent.home, message('restart', 'restart-riposte'));
    assert.equal(unknown.code, 255);
    assert.equal(unknown.log.at(-1), "Invalid value of 'command'");
    const bad = await runInProcess(restartRiposte, agent.home, '{"version":1,"command":"add"}');
    assert.equal(bad.code, 255);
    assert.equal(bad.log.at(-1), 'Invalid input format');
    assert.equal(fs.existsSync(path.join(agent.home, 'got-usr2')), false);
  });
});
