/**
 * `riposte start` runs agent 000 on its own worker thread while the main thread owns the execq
 * socket (runtime/local-agent-thread.ts): a datagram on execq reaches agent 000 and is reported
 * to the manager (listed by its API), also after a restart in place (SIGUSR2: a new thread, the
 * socket bound again); a clean stop ends the process with 0 and removes the socket.
 * Agent 000's refused inputs are counted where the metrics are rendered (the main thread).
 * Dry run: firewall-drop records the commands it would run, nothing touches the host.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { agentPaths } from '../../src/agent/agent-paths.js';
import { readApiToken } from '../../src/api/read-api-token.js';
import { arMessage, makeHome, removeHome, startDaemon, waitFor } from './support/daemon-harness.js';

const home = makeHome();
after(() => {
  removeHome(home);
});

const CONFIG = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response>
    <command>firewall-drop</command><location>local</location><rules_id>5712</rules_id><timeout>600</timeout>
  </active-response>
</ossec_config>
`;

test('execq datagrams reach agent 000 on its thread, before and after a restart in place; clean stop', async () => {
  const conf = join(home, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  const d = await startDaemon(home, ['start', '-c', conf, '--dry-run']);
  const listed = async (key: string): Promise<true | undefined> => {
    const { items } = await d.api().call<{ items: { key: string }[] }>('GET', '/active-responses');
    return items.some((i) => i.key === key) ? true : undefined;
  };
  try {
    await d.send(arMessage('firewall-drop600', '192.0.2.10'));
    await waitFor('the first execq add listed', 30_000, () => listed('firewall-drop-192.0.2.10'));

    d.proc.kill('SIGUSR2');
    await waitFor('the restart in place', 30_000, () =>
      d.output().split(' running in ').length === 3 ? true : undefined,
    );
    await d.send(arMessage('firewall-drop600', '192.0.2.11'));
    await waitFor('the second execq add listed', 30_000, () => listed('firewall-drop-192.0.2.11'));
    assert.ok(await listed('firewall-drop-192.0.2.10'), 'the first one is still active');
  } finally {
    assert.equal(await d.stop(), 0, d.output());
  }
  assert.equal(existsSync(join(home, 'queue', 'alerts', 'execq')), false, 'the socket is removed');
});

/** `GET /metrics` of the daemon in `home`, over its API socket. */
function metrics(home: string): Promise<string> {
  const paths = agentPaths(home);
  const token = readApiToken(paths.apiToken);
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: paths.apiSocket, path: '/metrics', headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve(body);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test("agent 000's refused execq inputs are counted in the daemon's metrics", async () => {
  const conf = join(home, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  const d = await startDaemon(home, ['start', '-c', conf, '--dry-run']);
  try {
    const deep = `${'{"a":'.repeat(2_999)}{}${'}'.repeat(2_999)}`;
    await d.send(deep);
    await d.send('not json');
    await d.send('not json either');
    const text = await waitFor('the refusals in the metrics', 30_000, async () => {
      const text = await metrics(home);
      return /^riposte_input_rejected_total\{entry="execq",reason="too-deep"\} 1$/m.test(text) &&
        /^riposte_input_rejected_total\{entry="execq",reason="invalid"\} 2$/m.test(text)
        ? text
        : undefined;
    });
    // The link backlog's figures come from the daemon's own link handler (agent 000's link).
    assert.match(text, /^riposte_link_paused_agents 0$/m);
    assert.match(text, /^riposte_link_read_pauses_total 0$/m);
  } finally {
    assert.equal(await d.stop(), 0, d.output());
  }
});
