/**
 * `riposte ar history --follow --home DIR` against a bare `riposte agent` (issue #9 item 4): the
 * agent's local API serves the same live feed as the manager's (`GET /executions/stream`), so the
 * CLI prints an execution, with its outcome, as it happens. The response is a harmless fixture
 * script (no firewall change). The feed also honours `?agent=` (another agent's id: nothing).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  CLI,
  arMessage,
  installScript,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  writeArConf,
  type Daemon,
} from './support/daemon-harness.js';

let home = '';
let daemon: Daemon;

before(async () => {
  home = makeHome();
  installScript(home, 'sh/stateless-ok', 'mark');
  writeArConf(home, ['mark0 - mark - 0']);
  daemon = await startDaemon(home, ['agent']);
});

after(async () => {
  await daemon.stop();
  removeHome(home);
});

/** Reads a feed opened with the daemon's API client; its text accumulates in `text()`. */
async function openFeed(path: string): Promise<{ text: () => string; close: () => void }> {
  const api = daemon.api();
  assert.ok(api.stream !== undefined);
  const body = await api.stream(path);
  let text = '';
  body.on('data', (c: Buffer) => (text += c.toString()));
  return { text: () => text, close: () => body.destroy() };
}

test('ar history --follow on a bare agent prints each execution with its outcome as it happens', async () => {
  const cli = spawn(process.execPath, [CLI, 'ar', 'history', '--follow', '--home', home], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
  cli.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const all = await openFeed('/executions/stream');
  const other = await openFeed('/executions/stream?agent=042');
  try {
    // The header is printed once the daemon answered 200: the CLI's feed is open.
    await waitFor('the follow header', 15_000, () => (out.includes('STARTED') ? true : undefined));
    await daemon.send(arMessage('mark0', '203.0.113.9'));
    const line = await waitFor('the followed execution', 20_000, () =>
      out.split('\n').find((l) => / mark0 /.test(l) && / ok /.test(l)),
    );
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+000\s+add\s+mark0\s/);
    // The raw feed: one SSE event per execution, in the shape of GET /executions items.
    const data = await waitFor(
      'the SSE event',
      20_000,
      () => /^event: execution\ndata: (.+)$/m.exec(all.text())?.[1],
    );
    const e = JSON.parse(data) as { agentId: string; arName: string; status: string };
    assert.deepEqual([e.agentId, e.arName, e.status], ['000', 'mark0', 'ok']);
    // Another agent's feed got nothing (the filter applies on a bare agent too).
    assert.doesNotMatch(other.text(), /event: execution/);
    // The followed execution is the one the history lists.
    const hist = spawnSync(process.execPath, [CLI, 'ar', 'history', '--output', 'json', '--home', home], {
      encoding: 'utf8',
    });
    assert.equal(hist.status, 0, hist.stderr);
    assert.equal(hist.stdout.split('\n').filter((l) => l.includes('"mark0"')).length, 1);
  } finally {
    cli.kill('SIGINT');
    all.close();
    other.close();
  }
});
