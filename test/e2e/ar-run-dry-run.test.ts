/**
 * `riposte ar run ... --dry-run` (issue #8 item 4): a per-request dry run through the API
 * (`PUT /active-response?dry_run=true`) to execd, on a real agent that is NOT in dry-run mode,
 * inside a scratch network namespace. The run is decided, recorded and logged; the dry-run
 * executor reports the exact commands; nothing touches the host: no element in the kernel set,
 * and a custom script that would write a file is not started. A real run afterwards blocks, so
 * the path is live.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  daemonLog,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  writeArConf,
  type Daemon,
} from './support/daemon-harness.js';

const NS = `riposte-ardry-${process.pid}`;
const home = makeHome();
const MARKER = join(home, 'marker-written');

after(() => {
  spawnSync('ip', ['netns', 'del', NS]);
  removeHome(home);
});

interface Execution {
  readonly id: number;
  readonly arName: string;
  readonly status: string;
  readonly stderrTail: string;
  readonly note?: string;
}

/** Polls GET /executions every 50 ms until an execution of `arName` has ended (20 s at most). */
async function endedFor(d: Daemon, arName: string): Promise<Execution> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await d.api().call<{ items: Execution[] }>('GET', '/executions');
    const ended = r.items.find((e) => e.arName === arName && e.status !== 'running');
    if (ended !== undefined) {
      return ended;
    }
    if (Date.now() > deadline) {
      throw new Error(`no ${arName} execution ended within 20 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function setElements(): string {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('a dry-run order is decided and recorded with its commands; nothing touches the host', async () => {
  assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
  writeFileSync(join(home, 'active-response/bin/mark'), `#!/bin/sh\ncat >/dev/null\ntouch '${MARKER}'\n`, {
    mode: 0o750,
  });
  writeArConf(home, ['firewall-drop600 - firewall-drop - 600', 'mark60 - mark - 60']);
  const d = await startDaemon(home, ['agent'], {}, ['ip', 'netns', 'exec', NS]);
  try {
    const run = (command: string, srcip: string, dry: boolean): Promise<{ error: number }> =>
      d.api().call<{ error: number }>('PUT', `/active-response${dry ? '?dry_run=true' : ''}`, {
        command,
        alert: { data: { srcip } },
      });
    assert.equal((await run('firewall-drop600', '192.0.2.31', true)).error, 0);
    const fw = await endedFor(d, 'firewall-drop600');
    assert.equal(fw.status, 'ok', JSON.stringify(fw));
    assert.match(fw.stderrTail, /dry run: nothing was run on the host; would run:/);
    assert.match(fw.stderrTail, /add element inet riposte blocked4 \{ 192\.0\.2\.31 \}/);
    assert.match(fw.note ?? '', /^dry run: active until \d{4}-/);
    assert.doesNotMatch(setElements(), /192\.0\.2\.31/);
    const active = await d.api().call<{ items: unknown[] }>('GET', '/active-responses');
    assert.equal(active.items.length, 0, 'a dry run is never listed as in force');
    assert.ok(
      daemonLog(home).some((l) => /^Dry run: active response 'firewall-drop600' would be added/.test(l.msg)),
    );

    // The CLI's flag goes the same way (through the daemon's local API).
    const cli = spawnSync(
      process.execPath,
      [CLI, 'ar', 'run', 'mark60', '--srcip', '192.0.2.32', '--dry-run', '--home', home],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /Dry run: the agents decide, record and log as usual but touch nothing/);
    const mark = await endedFor(d, 'mark60');
    assert.match(mark.stderrTail, /active-response\/bin\/mark/);
    assert.equal(existsSync(MARKER), false, 'the custom script was not started');

    // The same path without the flag acts: the address lands in the kernel set.
    assert.equal((await run('firewall-drop600', '192.0.2.33', false)).error, 0);
    await waitFor('the real block', 20_000, () => (/192\.0\.2\.33/.test(setElements()) ? true : undefined));
    assert.doesNotMatch(setElements(), /192\.0\.2\.31/);
  } finally {
    await d.stop();
  }
});
