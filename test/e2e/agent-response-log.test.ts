/**
 * Something to watch (issue #9 item 4): riposte.log has one info line when a response is put in
 * force (key, agent, deadline), one when a repeat extends it, and one when it is reverted. Real
 * agent daemon and fixture script, message on the execq socket, revert by its 1 s timeout.
 * And on the same bare agent (Wazuh's manager feeds its execq; no Riposte manager), the operator on
 * its host reverts a response early with `riposte ar ... --home DIR` through its local API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  CLI,
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

let home = '';
let daemon: Daemon;

before(async () => {
  home = makeHome();
  installScript(home, 'sh/stateful-ok', 'block-ip');
  writeArConf(home, ['block-ip1 - block-ip - 1', 'block-ip600 - block-ip - 600']);
  daemon = await startDaemon(home, ['agent']);
});

after(async () => {
  await daemon.stop();
  removeHome(home);
});

const lines = (re: RegExp): string[] =>
  daemonLog(home)
    .filter((l) => re.test(l.msg))
    .map((l) => l.msg);

void describe('agent: a log line per block and unblock', () => {
  void test('in force with key, agent and deadline, then reverted with the reason', async () => {
    await daemon.send(arMessage('block-ip1', '198.51.100.20'));
    const inForce = await waitFor('the in-force line', 10_000, () => lines(/^Active response in force/)[0]);
    assert.match(
      inForce,
      /^Active response in force: key 'block-ip-198\.51\.100\.20', agent 000, until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(block-ip1\)$/,
    );
    const reverted = await waitFor('the reverted line', 10_000, () => lines(/^Active response reverted/)[0]);
    assert.equal(
      reverted,
      "Active response reverted (timeout): key 'block-ip-198.51.100.20', agent 000 (block-ip1)",
    );
    const entry = daemonLog(home).find((l) => l.msg === inForce);
    assert.equal(entry?.['key'], 'block-ip-198.51.100.20');
    assert.equal(entry?.['agent'], '000');
  });

  void test('the agent answers /healthz and /readyz without a token, /status only with one', async () => {
    const get = (path: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = request({ socketPath: join(home, 'var/api.sock'), path, method: 'GET' }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        req.on('error', reject);
        req.end();
      });
    assert.deepEqual(await get('/healthz'), { status: 200, body: '{"status":"ok"}' });
    assert.deepEqual(await get('/readyz'), { status: 200, body: '{"status":"ready"}' });
    assert.equal((await get('/status')).status, 401);
  });
});

const KEY = 'block-ip-198.51.100.30';

function ar(args: readonly string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'ar', ...args, '--home', home], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** The rows `ar VERB --output json ...args` prints (it must succeed). */
function arRows<T>(verb: string, args: readonly string[] = []): T[] {
  const r = ar([verb, '--output', 'json', ...args]);
  assert.equal(r.status, 0, r.err);
  return r.out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** `ar list --output json ...filters` rows' keys. */
function activeKeys(...filters: string[]): string[] {
  return arRows<{ key: string }>('list', filters).map((a) => a.key);
}

void describe('agent: the operator reverts early on the local API', () => {
  void test('ar revert on a bare agent runs the delete now and answers its execution; then nothing is left to revert', async () => {
    await daemon.send(arMessage('block-ip600', '198.51.100.30'));
    await waitFor('the active response', 20_000, () => (activeKeys().includes(KEY) ? true : undefined));

    const rows = arRows<{ action?: string; key?: string; status?: string; agent_id?: string; note?: string }>(
      'revert',
      [KEY],
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

  void test('ar revert naming another agent on a bare agent is refused, naming this one', async () => {
    await daemon.send(arMessage('block-ip600', '198.51.100.31'));
    await waitFor('the active response', 20_000, () =>
      activeKeys().includes('block-ip-198.51.100.31') ? true : undefined,
    );
    const r = ar(['revert', 'block-ip-198.51.100.31', '--agent', '042']);
    assert.equal(r.status, 4, r.err);
    assert.match(r.err, /Agent "042" is not this agent \(000\)/);
    assert.deepEqual(activeKeys(), ['block-ip-198.51.100.31'], 'nothing reverted');
  });

  void test('ar list --ip on a bare agent: an address in any form, or a network; --command', () => {
    const held = 'block-ip-198.51.100.31';
    const keys = activeKeys;
    assert.deepEqual(keys(), [held], 'the previous test left this one active');
    assert.deepEqual(keys('--ip', '::ffff:198.51.100.31'), [held]);
    assert.deepEqual(keys('--ip', '198.51.100.0/24'), [held]);
    assert.deepEqual(keys('--ip', '198.51.100.32'), []);
    assert.deepEqual(keys('--command', 'block-ip'), [held]);
    assert.deepEqual(keys('--command', 'block-ip1'), []);
    const none = ar(['list', '--ip', '198.51.100.32']);
    assert.equal(none.out, 'No active response matches.\n');
  });

  void test('ar history filters on a bare agent: key, command or script, status, alert id, times', () => {
    interface Row {
      readonly key: string | null;
      readonly action: string;
      readonly ar_name: string;
      readonly status: string;
      readonly alert_id: string | null;
    }
    const history = (...filters: string[]): Row[] => arRows<Row>('history', filters);
    const all = history();
    assert.ok(all.length >= 5, `the earlier tests' executions: ${all.length}`);
    assert.deepEqual(
      history('--key', KEY).map((e) => [e.key, e.action]),
      [
        [KEY, 'delete'],
        [KEY, 'add'],
      ],
    );
    const byName = history('--command', 'block-ip1');
    assert.deepEqual(
      byName.map((e) => [e.ar_name, e.key, e.action]),
      [
        ['block-ip1', 'block-ip-198.51.100.20', 'delete'],
        ['block-ip1', 'block-ip-198.51.100.20', 'add'],
      ],
    );
    assert.equal(history('--command', 'block-ip').length, all.length, 'the script name matches all of them');
    assert.deepEqual(history('--command', 'block'), [], 'not a prefix');
    assert.deepEqual(history('--status', 'failed'), []);
    assert.equal(history('--status', 'ok').length, all.length);
    const alertId = all.find((e) => e.key === KEY && e.action === 'add')?.alert_id ?? '';
    // The manual revert's delete is of the response that alert started: it carries its id.
    assert.deepEqual(
      history('--alert-id', alertId).map((e) => [e.key, e.action]),
      [
        [KEY, 'delete'],
        [KEY, 'add'],
      ],
    );
    assert.equal(history('--since', '1h').length, all.length);
    assert.deepEqual(history('--until', '1h'), []);
    const none = ar(['history', '--status', 'timed-out']);
    assert.equal(none.out, 'No execution matches.\n');
  });
});
