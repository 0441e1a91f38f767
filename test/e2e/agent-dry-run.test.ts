/**
 * `riposte agent --dry-run`, the real daemon inside a scratch network namespace (so that even a
 * broken dry run could only touch the namespace): a firewall-drop add is decided, recorded and
 * tracked as in a real run, its execution output holds the exact nft transaction, and the kernel
 * set stays empty.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  arMessage,
  makeHome,
  removeHome,
  startDaemon,
  writeArConf,
  type Daemon,
} from './support/daemon-harness.js';

const NS = `riposte-dryrun-${process.pid}`;
const home = makeHome();

after(() => {
  spawnSync('ip', ['netns', 'del', NS]);
  removeHome(home);
});

/** Polls GET /executions every 50 ms until an execution has ended (or fails after 20 s). */
async function firstEnded(d: Daemon): Promise<Execution> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await d.api().call<{ items: Execution[] }>('GET', '/executions');
    const ended = r.items.find((e) => e.status !== 'running');
    if (ended !== undefined) {
      return ended;
    }
    if (Date.now() > deadline) {
      throw new Error('no execution ended within 20 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Execution {
  readonly status: string;
  readonly output?: string;
  readonly stderrTail?: string;
  readonly key?: string;
}

test('a dry-run agent decides and records a firewall-drop, reports its nft commands, blocks nothing', async () => {
  assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
  writeArConf(home, ['firewall-drop600 - firewall-drop - 600']);
  const d = await startDaemon(home, ['agent', '--dry-run'], {}, ['ip', 'netns', 'exec', NS]);
  try {
    await d.send(arMessage('firewall-drop600', '192.0.2.10'));
    const exec = await firstEnded(d);
    const text = JSON.stringify(exec);
    assert.equal(exec.status, 'ok', text);
    assert.match(text, /dry run: nothing was run on the host/);
    assert.match(text, /add element inet riposte blocked4 \{ 192\.0\.2\.10 \}/);
    const active = await d.api().call<{ items: { key: string }[] }>('GET', '/active-responses');
    assert.deepEqual(
      active.items.map((a) => a.key),
      ['firewall-drop-192.0.2.10'],
    );
    const list = spawnSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
    assert.equal(list.status, 0);
    assert.doesNotMatch(list.stdout, /riposte/);
  } finally {
    await d.stop();
  }
});
