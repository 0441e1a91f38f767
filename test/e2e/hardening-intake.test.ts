/**
 * Issue 13 findings 1 (at intake), 2, 6 and 7, end to end on a real manager with its in-process agent
 * 000 and the `mark` fixture script: a deeply nested message on each entry point (execq,
 * `PUT /active-response`, `POST /alerts` JSON and NDJSON, an alerts.json line) is refused with a
 * clear error before anything recursive sees it, and a normal alert on the same program is still
 * enforced right after.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { sendToExecq } from '../../src/agent/execq-socket.js';
import { createManagerApi } from '../../src/manager-api/create-manager-api.js';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { rejectionCount } from '../../src/protocol/input-rejections.js';
import { alert, installMark, makeDir, marks, removeDir, waitFor } from '../manager/support/fleet.js';

const CONFIG = `<ossec_config>
  <global><white_list>10.1.2.3</white_list></global>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100002</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = makeDir('hardening');
const home = path.join(root, 'manager');
const alertsFile = path.join(root, 'alerts.json');
let m: ManagerRuntime;
let n = 0;

/** A JSON value nested `depth` levels: {"a":{"a":...{}}}. */
const deep = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
/** A normal alert for the `mark` rule, from a fresh address. */
const normalAlert = (): { srcip: string; line: string } => {
  n++;
  const srcip = `10.77.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  return { srcip, line: JSON.stringify(alert('100002', '000', srcip, n)) };
};

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

function call(method: string, urlPath: string, payload: string, type = 'application/json'): Promise<Answer> {
  const ca = readFileSync(path.join(home, 'etc', 'pki', 'ca.pem'));
  const token = readFileSync(path.join(home, 'var', 'admin.token'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: m.address.port,
        method,
        path: urlPath,
        ca,
        checkServerIdentity: () => undefined,
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Posts a normal alert and waits until the mark script enforced it; returns the ms it took. */
async function normalAlertEnforced(): Promise<number> {
  const { srcip, line } = normalAlert();
  const t0 = Date.now();
  const r = await call('POST', '/alerts', line);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await waitFor(`mark for ${srcip}`, 10_000, () => marks(home).includes(`add ${srcip}`) || undefined);
  return Date.now() - t0;
}

before(async () => {
  installMark(home);
  writeFileSync(path.join(root, 'ossec.conf'), CONFIG);
  writeFileSync(alertsFile, '');
  m = await startManagerRuntime({
    configPath: path.join(root, 'ossec.conf'),
    home,
    listen: { host: '127.0.0.1', port: 0 },
    createApi: createManagerApi,
    alertsFile,
    alertsStartAt: 'beginning',
    logLevel: 'warn',
  });
  // Warm-up: the first spawn of the fixture is the slowest.
  await normalAlertEnforced();
});

after(async () => {
  await m.stop();
  removeDir(root);
});

test('execq: a message nested 3,000 deep is refused at intake (counted); the next alert is enforced', async () => {
  const before = rejectionCount('execq', 'too-deep');
  const message = `{"version":1,"origin":{"name":"t","module":"t"},"command":"mark600","parameters":{"extra_args":[],"alert":{"data":{"srcip":"10.66.0.1"},"x":${deep(3000)}}}}`;
  await sendToExecq(path.join(home, 'queue', 'alerts', 'execq'), message);
  await waitFor('rejection counted', 5_000, () => rejectionCount('execq', 'too-deep') > before || undefined);
  const ms = await normalAlertEnforced();
  assert.ok(!marks(home).includes('add 10.66.0.1'));
  const log = readFileSync(path.join(home, 'logs', 'riposte.log'), 'utf8');
  const line = log.split('\n').find((l) => l.includes('nested deeper than'));
  assert.ok(line !== undefined, 'the refusal is logged');
  assert.ok(line.length < 1024, 'with an excerpt, not the whole message');
  console.log(`execq: normal alert enforced ${ms} ms after a deep message`);
});

test('PUT /active-response with an alert nested 2,500 deep -> 400 naming the bound; the next alert is enforced', async () => {
  const body = `{"command":"mark600","alert":{"data":{"srcip":"10.66.0.2"},"x":${deep(2500)}}}`;
  const r = await call('PUT', '/active-response?agents_list=000', body);
  assert.equal(r.status, 400);
  assert.match(JSON.stringify(r.body), /nested deeper than 101 levels/);
  const ms = await normalAlertEnforced();
  assert.ok(!marks(home).includes('add 10.66.0.2'));
  console.log(`PUT /active-response: normal alert enforced ${ms} ms after a deep body`);
});

test('POST /alerts with a JSON body nested 10,000 deep -> 400 (not 500); the next alert is enforced', async () => {
  const r = await call('POST', '/alerts', `{"rule":{"id":"100002"},"x":${deep(10_000)}}`);
  assert.equal(r.status, 400);
  assert.deepEqual(r.body['error'], {
    code: 'REQUEST_INVALID',
    message: 'Request body is nested deeper than 101 levels',
  });
  const ms = await normalAlertEnforced();
  console.log(`POST /alerts: normal alert enforced ${ms} ms after a deep body`);
});

test('POST /alerts NDJSON: a deep line is reported with its line number; the other lines are ingested', async () => {
  const a = normalAlert();
  const b = normalAlert();
  const body = [a.line, '', `{"rule":{"id":"100002"},"x":${deep(10_000)}}`, b.line, 'not json'].join('\n');
  const r = await call('POST', '/alerts', `${body}\n`, 'application/x-ndjson');
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.equal(r.body['accepted'], 2);
  assert.equal(r.body['invalid'], 2);
  assert.equal(r.body['orders'], 2);
  const rejected = r.body['rejected'] as { line: number; error: string }[];
  assert.deepEqual(
    rejected.map((x) => x.line),
    [3, 5],
  );
  assert.match(rejected[0]?.error ?? '', /nested deeper than 100 levels/);
  assert.match(rejected[1]?.error ?? '', /invalid JSON/);
  for (const { srcip } of [a, b]) {
    await waitFor(`mark for ${srcip}`, 10_000, () => marks(home).includes(`add ${srcip}`) || undefined);
  }
  await normalAlertEnforced();
});

test('alerts.json: A, a line nested 10,000 deep, B, C -> A once, B and C enforced, the tailer goes on', async () => {
  const [a, b, c] = [normalAlert(), normalAlert(), normalAlert()];
  appendFileSync(
    alertsFile,
    `${a.line}\n{"rule":{"id":"100002"},"x":${deep(10_000)}}\n${b.line}\n${c.line}\n`,
  );
  for (const { srcip } of [a, b, c]) {
    await waitFor(`mark for ${srcip}`, 10_000, () => marks(home).includes(`add ${srcip}`) || undefined);
  }
  const later = normalAlert();
  const t0 = Date.now();
  appendFileSync(alertsFile, `${later.line}\n`);
  await waitFor('a later line', 10_000, () => marks(home).includes(`add ${later.srcip}`) || undefined);
  console.log(`alerts.json: a later line enforced ${Date.now() - t0} ms after it was appended`);
  const orders = await m.service.listOrders({ agentId: '000', limit: 1000 });
  assert.equal(orders.filter((o) => o.alertId === `1763626517.${n - 3}`).length, 1, 'A dispatched once');
  await normalAlertEnforced();
});

void test('PUT /active-response: never-block and white-listed targets, and stateless blocks, are refused (400)', async () => {
  const cases: [string, object, RegExp][] = [
    ['mark600', { srcip: '::ffff:127.0.0.1' }, /loopback address, which is never blocked/],
    ['mark600', { srcip: '::ffff:7f00:1' }, /loopback/],
    ['mark600', { srcip: '127.0.0.1' }, /loopback/],
    ['mark600', { srcip: '::1' }, /loopback/],
    ['mark600', { srcip: '0.0.0.0' }, /unspecified/],
    ['mark600', { srcip: '::' }, /unspecified/],
    ['mark600', { srcip: '255.255.255.255' }, /broadcast/],
    ['mark600', { srcip: '10.1.2.3' }, /white-listed \(10\.1\.2\.3\)/],
    ['mark600', { srcip: '::ffff:10.1.2.3' }, /white-listed/],
    ['mark600', { win: { eventdata: { ipAddress: '127.0.0.1' } }, srcip: '10.66.0.9' }, /loopback/],
    ['!firewall-drop', { srcip: '10.66.0.10' }, /no timeout: it would never be listed/],
  ];
  for (const [command, data, expected] of cases) {
    const r = await call(
      'PUT',
      '/active-response?agents_list=000',
      JSON.stringify({ command, alert: { data } }),
    );
    assert.equal(r.status, 400, `${command} ${JSON.stringify(data)}: ${JSON.stringify(r.body)}`);
    assert.match(JSON.stringify(r.body), expected);
  }
  assert.equal(
    (await m.service.listOrders({ agentId: '000', limit: 1000 })).filter((o) => o.source === 'api').length,
    0,
  );
  await normalAlertEnforced();
});

void test('execq: a message whose target is loopback or this host is refused by the agent itself', async () => {
  const own = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
  const targets = ['::ffff:127.0.0.1', '0.0.0.0', ...(own === undefined ? [] : [own])];
  for (const srcip of targets) {
    const message = JSON.stringify({
      version: 1,
      origin: { name: 't', module: 't' },
      command: 'mark600',
      parameters: { extra_args: [], alert: { data: { srcip } } },
    });
    await sendToExecq(path.join(home, 'queue', 'alerts', 'execq'), message);
  }
  await waitFor('refusals logged', 5_000, () => {
    const log = readFileSync(path.join(home, 'logs', 'riposte.log'), 'utf8');
    return targets.every((t) => log.includes(`refused: ${t} is`)) || undefined;
  });
  await normalAlertEnforced();
  for (const srcip of targets) {
    assert.ok(!marks(home).some((l) => l.startsWith(`add ${srcip}`)), `${srcip} not acted on`);
  }
});
