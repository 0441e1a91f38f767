/**
 * A bare `riposte agent` (Wazuh's manager feeds its execq; no Riposte manager): the operator on its
 * host lists and reverts its active responses early with `riposte ar ... --home DIR` through the
 * agent's local API. Real daemon, harmless fixture script (no firewall change).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
const KEY = 'block-ip-198.51.100.30';

before(async () => {
  home = makeHome();
  installScript(home, 'sh/stateful-ok', 'block-ip');
  writeArConf(home, ['block-ip600 - block-ip - 600']);
  daemon = await startDaemon(home, ['agent']);
});

after(async () => {
  await daemon.stop();
  removeHome(home);
});

function ar(args: readonly string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'ar', ...args, '--home', home], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** `ar list --output json` rows' keys. */
function activeKeys(): string[] {
  const r = ar(['list', '--output', 'json']);
  assert.equal(r.status, 0, r.err);
  return r.out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { key: string }).key);
}

test('ar revert on a bare agent runs the delete now and answers its execution; then nothing is left to revert', async () => {
  await daemon.send(arMessage('block-ip600', '198.51.100.30'));
  await waitFor('the active response', 20_000, () => (activeKeys().includes(KEY) ? true : undefined));

  const r = ar(['revert', KEY, '--output', 'json']);
  assert.equal(r.status, 0, r.err);
  const rows = r.out
    .split('\n')
    .filter((l) => l !== '')
    .map(
      (l) =>
        JSON.parse(l) as { action?: string; key?: string; status?: string; agent_id?: string; note?: string },
    );
  assert.deepEqual(
    rows.map((e) => [e.agent_id, e.action, e.key, e.status, e.note]),
    [['000', 'delete', KEY, 'ok', 'revert (manual)']],
  );
  assert.deepEqual(activeKeys(), []);

  const again = ar(['revert', KEY]);
  assert.equal(again.status, 4, again.err);
  assert.match(again.err, /No active response "block-ip-198\.51\.100\.30" on agent "000"/);
});

test('ar revert naming another agent on a bare agent is refused, naming this one', async () => {
  await daemon.send(arMessage('block-ip600', '198.51.100.31'));
  await waitFor('the active response', 20_000, () =>
    activeKeys().includes('block-ip-198.51.100.31') ? true : undefined,
  );
  const r = ar(['revert', 'block-ip-198.51.100.31', '--agent', '042']);
  assert.equal(r.status, 4, r.err);
  assert.match(r.err, /Agent "042" is not this agent \(000\)/);
  assert.deepEqual(activeKeys(), ['block-ip-198.51.100.31'], 'nothing reverted');
});
