/**
 * Packaging (issue #9 item 5): the systemd units run the three daemons with the capabilities
 * packaging/README.md documents (each one kept is explained there), the logrotate example signals
 * the units, and SIGTERM to the pid `npm start` reports stops node (no orphan daemon).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './support/daemon-harness.js';

const UNITS: Record<string, string> = {
  'riposte.service': ' start ',
  'riposte-agent.service': ' agent ',
  'riposte-manager.service': ' manager ',
};

function directive(unit: string, name: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${name}=`))
    .map((l) => l.slice(name.length + 1));
}

test('systemd units for start, agent and manager: each capability kept is documented', () => {
  const doc = readFileSync('packaging/README.md', 'utf8');
  for (const [file, verb] of Object.entries(UNITS)) {
    const unit = readFileSync(join('packaging/systemd', file), 'utf8');
    const [exec] = directive(unit, 'ExecStart');
    assert.ok(exec?.includes(verb), `${file}: ExecStart runs riposte${verb}`);
    assert.deepEqual(directive(unit, 'ExecReload'), ['/bin/kill -HUP $MAINPID']);
    assert.deepEqual(directive(unit, 'NoNewPrivileges'), ['yes']);
    const caps = (directive(unit, 'CapabilityBoundingSet')[0] ?? '').split(' ');
    assert.ok(caps.includes('CAP_NET_ADMIN'), `${file} keeps CAP_NET_ADMIN for nft/ip`);
    for (const cap of caps) {
      assert.match(doc, new RegExp(`^\\| \`${cap}\` \\| .+`, 'm'), `${cap} of ${file} is documented`);
    }
    assert.ok(!caps.includes('CAP_SYS_ADMIN'));
  }
  const rotate = readFileSync('packaging/logrotate/riposte', 'utf8');
  assert.match(rotate, /--signal=HUP riposte\.service riposte-agent\.service riposte-manager\.service/);
  assert.ok(
    readFileSync('LICENSE', 'utf8').includes('Apache License\n                           Version 2.0'),
  );
});

test('npm start runs node directly: SIGTERM to the pid npm reports stops the daemon', async () => {
  const home = mkdtempSync(join(tmpdir(), 'riposte-npmstart-'));
  // --ignore-scripts skips the prestart build (the test suite has built already).
  const npm = spawn('npm', ['start', '--ignore-scripts', '--', '--home', home], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout.on('data', (c: Buffer) => (out += c.toString()));
  npm.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // 'close', not 'exit': 'exit' can come before the last output is read from the pipes.
  const exited = new Promise<number | null>((r) =>
    npm.on('close', (code) => {
      r(code);
    }),
  );
  try {
    await waitFor('the daemon to start', 30_000, () => (out.includes(' running in ') ? true : undefined));
    const pidFile = join(home, 'var', 'agent.pid');
    const daemonPid = Number(readFileSync(pidFile, 'utf8').trim());
    npm.kill('SIGTERM');
    await exited;
    await waitFor('node to exit', 30_000, () =>
      existsSync(`/proc/${String(daemonPid)}`) ? undefined : true,
    );
    assert.ok(out.includes('Received SIGTERM: stopping.'), out);
    assert.ok(!existsSync(pidFile), 'a clean stop removed the pid file');
  } finally {
    npm.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});
