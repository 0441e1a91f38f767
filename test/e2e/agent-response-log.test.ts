/**
 * Something to watch (issue #9 item 4): riposte.log has one info line when a response is put in
 * force (key, agent, deadline), one when a repeat extends it, and one when it is reverted. Real
 * agent daemon and fixture script, message on the execq socket, revert by its 1 s timeout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
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

let home = '';
let daemon: Daemon;

before(async () => {
  home = makeHome();
  installScript(home, 'sh/stateful-ok', 'block-ip');
  writeArConf(home, ['block-ip1 - block-ip - 1']);
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
