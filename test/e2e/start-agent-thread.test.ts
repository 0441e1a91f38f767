/**
 * `riposte start` runs agent 000 on its own worker thread while the main thread owns the execq
 * socket (runtime/local-agent-thread.ts): a datagram on execq reaches agent 000 and is reported
 * to the manager (listed by its API), also after a restart in place (SIGUSR2: a new thread, the
 * socket bound again); a clean stop ends the process with 0 and removes the socket.
 * Dry run: firewall-drop records the commands it would run, nothing touches the host.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
