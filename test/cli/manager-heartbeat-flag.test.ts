/**
 * `riposte manager --heartbeat`: agents drop a link on which nothing arrived for 30 s
 * (AGENT_DEAD_AFTER_MS), so a ping period they would take for a dead link (more than 10 s: three
 * pings must fit in their limit) is refused before the daemon starts, with CONFIG_INVALID (exit 1)
 * naming the flag and the bound; 10 s itself is accepted.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { heartbeatMs } from '../../src/cli/commands/manager.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { refusal } from '../support/refusal.js';
import { MAIN, makeDir, removeDir } from '../manager/support/fleet.js';

const root = makeDir('heartbeat-flag');
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');

after(() => {
  removeDir(root);
});

function manager(...flags: string[]) {
  const home = path.join(root, 'never-started');
  const r = spawnSync(process.execPath, [MAIN, 'manager', '-c', conf, '--home', home, ...flags], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.doesNotMatch(r.stdout, /listening/);
  assert.equal(existsSync(path.join(home, 'var')), false, 'nothing started');
  return r;
}

test('heartbeatMs: up to 10 s; above it CONFIG_INVALID naming the flag and the bound', () => {
  assert.equal(heartbeatMs('10s'), 10_000);
  assert.equal(heartbeatMs('1s'), 1_000);
  for (const value of ['11s', '30s', '1m']) {
    assert.match(
      refusal(() => heartbeatMs(value)),
      new RegExp(`^${ErrorCode.CONFIG_INVALID}: --heartbeat: "${value}" is more than 10s \\(`),
    );
  }
  assert.match(
    refusal(() => heartbeatMs('0')),
    /--heartbeat: "0" is not a positive duration/,
  );
});

test('riposte manager refuses a --heartbeat above 10 s before starting, naming the flag and the bound', () => {
  for (const value of ['11s', '30s', '1m']) {
    const r = manager('--heartbeat', value);
    assert.equal(r.status, 1, `--heartbeat ${value}: CONFIG_INVALID exits 1 (docs/errors.md): ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--heartbeat: "${value}" is more than 10s \\(agents drop a link`));
  }
});

test('riposte manager takes a --heartbeat of 10 s (the next flag is the one refused)', () => {
  const r = manager('--heartbeat', '10s', '--order-ttl', '0');
  assert.equal(r.status, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /--heartbeat/);
  assert.match(r.stderr, /--order-ttl: "0" is not a positive duration/);
});
