/**
 * Issue 13, finding 4 (manager side): an add interrupted by kill -9 after its decision is re-applied
 * by the agent at the restart AND, its order not being acked yet, delivered again by the manager.
 * The redelivery must be recognised by its order seq (recorded with the execution's start) and
 * acked without running: before, it found the key active and counted a repeat offence, so the
 * timeout grew once (600 s became 1,800 s with repeated_offenders 30).
 *
 * Real `riposte start` (manager + in-process agent 000, alerts.json tailer) and a real stateful
 * script (fixtures/scripts/e2e/hang-once) that, on its first add, answers check_keys, takes its
 * decision and then stays running until the daemon dies: the kill -9 always lands between the
 * decision and the ack, with no timing guess. Not a firewall test: the script touches nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { installScript, makeHome, removeHome, startDaemon, waitFor } from './support/daemon-harness.js';

const home = makeHome();
after(() => {
  removeHome(home);
});

const CONFIG = `<ossec_config>
  <command><name>hang-once</name><executable>hang-once</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response>
    <command>hang-once</command><location>local</location><rules_id>5712</rules_id><timeout>600</timeout>
    <repeated_offenders>30</repeated_offenders>
  </active-response>
</ossec_config>
`;

const ALERT = JSON.stringify({
  timestamp: '2026-11-30T08:15:17.123+0000',
  rule: { level: 10, description: 'sshd: brute force', id: '5712', groups: ['sshd'] },
  agent: { id: '000', name: 'manager' },
  id: '1764490517.1',
  data: { srcip: '192.0.2.77' },
});

function query<T>(db: string, sql: string): T[] {
  const conn = new Database(join(home, 'var', db), { readonly: true, fileMustExist: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

interface ActiveRow {
  key: string;
  timeout_sec: number;
  repeat_count: number;
}
const activeRows = (): ActiveRow[] =>
  query<ActiveRow>('agent.db', 'SELECT key, timeout_sec, repeat_count FROM active_responses');
const lastOrderSeq = (): number =>
  Number(
    query<{ value: string }>('agent.db', "SELECT value FROM settings WHERE name = 'last_order_seq'")[0]
      ?.value ?? 0,
  );

test('kill -9 between an add decision and its ack, restart: re-applied once, timeout of the first offence', async () => {
  installScript(home, 'e2e/hang-once', 'hang-once');
  const conf = join(home, 'ossec.conf');
  const alerts = join(home, 'alerts.json');
  writeFileSync(conf, CONFIG);
  writeFileSync(alerts, '');
  const args = ['start', '-c', conf, '--alerts', alerts];
  let d = await startDaemon(home, args);
  appendFileSync(alerts, `${ALERT}\n`);
  // Decided (active row written, offence counted) while the script still runs: the order is not acked.
  await waitFor('the add decided, its script still running', 30_000, () =>
    activeRows().length === 1 && existsSync(join(home, 'var/hang-once.marker')) ? true : undefined,
  );
  assert.deepEqual(
    activeRows().map((r) => [r.timeout_sec, r.repeat_count]),
    [[600, 1]],
  );
  assert.equal(lastOrderSeq(), 0, 'the order is not acked before its execution ends');
  await d.kill9();

  d = await startDaemon(home, args);
  try {
    await waitFor('the redelivered order acked', 30_000, () => (lastOrderSeq() >= 1 ? true : undefined));
    await waitFor('the interrupted add re-applied', 30_000, () => {
      const n = query<{ n: number }>(
        'agent.db',
        "SELECT COUNT(*) AS n FROM executions WHERE action = 'reapply' AND status != 'running'",
      )[0]?.n;
      return (n ?? 0) >= 1 ? true : undefined;
    });
    const adds = query<{ n: number }>(
      'agent.db',
      "SELECT COUNT(*) AS n FROM executions WHERE action IN ('add', 'abort')",
    )[0]?.n;
    assert.equal(adds, 1, 'the redelivered order did not run a second add');
    assert.deepEqual(
      activeRows().map((r) => [r.key, r.timeout_sec, r.repeat_count]),
      [['hang-once-192.0.2.77', 600, 1]],
      'the timeout is the first offence’s',
    );
    const offenders = query<{ count: number }>('agent.db', 'SELECT count FROM offenders');
    assert.deepEqual(
      offenders.map((o) => o.count),
      [1],
    );
    const orders = query<{ n: number }>(
      'manager.db',
      "SELECT COUNT(*) AS n FROM orders WHERE kind = 'add'",
    )[0]?.n;
    assert.equal(orders, 1, 'one alert, one order');
  } finally {
    await d.stop();
  }
});
