/**
 * One running daemon per home (issue 8 item 5): a second `riposte start` on a home in use fails
 * with HOME_IN_USE (exit 6) naming the holder's pid and leaves the first one's API socket alone;
 * the lock left by a kill -9 is taken over by the next start.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, makeHome, removeHome, startDaemon } from './support/daemon-harness.js';

const home = makeHome();
after(() => {
  removeHome(home);
});

const CONFIG = '<ossec_config></ossec_config>\n';

test('a second start on the same home is refused; a kill -9 lock is taken over', async () => {
  const conf = join(home, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  const args = ['start', '-c', conf];
  const first = await startDaemon(home, args);
  const socket = join(home, 'var', 'api.sock');
  const before = statSync(socket);

  const second = spawnSync(process.execPath, [CLI, ...args, '--home', home], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(second.status, 6, second.stderr);
  assert.match(second.stderr, new RegExp(`in use by "riposte start" \\(pid ${first.proc.pid}\\)`));
  const after = statSync(socket);
  assert.equal(after.ino, before.ino, 'the first daemon keeps its socket');
  const status = await first.api().call<{ items: unknown[] }>('GET', '/active-responses');
  assert.deepEqual(status.items, [], 'the first daemon still answers');

  const agent = spawnSync(process.execPath, [CLI, 'agent', '--home', home], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(agent.status, 6, 'an agent on the same home is refused too');

  await first.kill9();
  const stale = JSON.parse(readFileSync(join(home, 'var', 'riposte.lock'), 'utf8')) as { pid: number };
  assert.equal(stale.pid, first.proc.pid, 'kill -9 left the lock');
  const third = await startDaemon(home, args);
  const lock = JSON.parse(readFileSync(join(home, 'var', 'riposte.lock'), 'utf8')) as { pid: number };
  assert.equal(lock.pid, third.proc.pid, 'the stale lock was taken over');
  assert.equal(await third.stop(), 0);
  assert.throws(() => statSync(join(home, 'var', 'riposte.lock')), 'released on a clean stop');
});
