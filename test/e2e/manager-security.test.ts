/**
 * The manager's link and enrollment refuse what they must, with a clear error, and nothing else is
 * affected: no client certificate, a certificate from another CA, a removed agent, a replayed
 * token, a wrong password, oversized and malformed frames, a forged agent id. Also: an order that
 * waits longer than its time-to-live is recorded as expired.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import type { EnrollResult } from '../../src/protocol/fleet-records.js';
import { createCa, issueAgentCert } from '../../src/pki/pki.js';
import { makeDir, removeDir, waitFor } from '../manager/support/fleet.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>defined-agent</location><agent_id>001</agent_id><rules_id>100001</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>local</location><rules_id>100002</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = makeDir('security');
let m: ManagerRuntime;

before(async () => {
  const conf = path.join(root, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  m = await startManagerRuntime({
    configPath: conf,
    home: path.join(root, 'manager'),
    listen: { host: '127.0.0.1', port: 0 },
    ttlMs: 400,
    expiryEveryMs: 50,
    localAgent: false,
  });
});

after(async () => {
  await m.stop();
  removeDir(root);
});

interface Creds {
  readonly cert?: string;
  readonly key?: string;
}

interface Dialled {
  readonly ws?: WebSocket;
  readonly status?: number;
  /** Resolves when the socket closes (refusals after the upgrade arrive as a close). */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Opens /link; resolves once open, or with the HTTP status on a refused upgrade. */
function dial(creds: Creds): Promise<Dialled> {
  const options: WebSocket.ClientOptions & ConnectionOptions = { ca: m.pki.ca.cert, ...creds };
  // TLS semantics (tls.connect): undefined = identity accepted; ws's typing of it is wrong.
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const ws = new WebSocket(`wss://127.0.0.1:${m.address.port}/link`, options);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });
  ws.on('error', () => undefined);
  return new Promise((resolve) => {
    ws.on('open', () => {
      resolve({ ws, closed });
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, closed });
    });
  });
}

function hello(ws: WebSocket): void {
  ws.send(JSON.stringify({ type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false }));
}

function postEnroll(
  body: unknown,
): Promise<{ status: number; body: { error?: { message: string } } & Partial<EnrollResult> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: m.address.port,
        method: 'POST',
        path: '/enroll',
        ca: m.pki.ca.cert,
        checkServerIdentity: () => undefined,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { error?: { message: string } } });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

let counter = 0;
async function newAgent(): Promise<EnrollResult> {
  const password = readFileSync(m.passwordFile, 'utf8').trim();
  const r = await postEnroll({ name: `sec-${counter++}`, password });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as EnrollResult;
}

test('enrollment: wrong password and a replayed token are refused (403), a fresh token works once', async () => {
  const wrong = await postEnroll({ name: 'intruder', password: 'not-the-password' });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.body.error?.message, 'Enrollment refused: invalid password');
  const none = await postEnroll({ name: 'intruder' });
  assert.equal(none.status, 401);
  const { token } = await m.service.addEnrollmentToken('tok-agent', 60_000);
  const first = await postEnroll({ name: 'tok-agent', token });
  assert.equal(first.status, 201);
  assert.match(first.body.id ?? '', /^\d{3}$/);
  const replay = await postEnroll({ name: 'tok-agent-2', token });
  assert.equal(replay.status, 403);
  assert.equal(replay.body.error?.message, 'Enrollment refused: the token was already used');
  const malformed = await postEnroll('{"name": 12');
  assert.equal(malformed.status, 400);
  assert.ok((await m.service.listAgents()).every((a) => a.name !== 'intruder'));
});

test('link: no client certificate -> 401', async () => {
  const r = await dial({});
  assert.equal(r.status, 401);
});

test('link: a certificate from another CA -> 401, even with a known agent id', async () => {
  const agent = await newAgent();
  const otherCa = await createCa(Date.now());
  const forged = await issueAgentCert(otherCa, agent.id, Date.now());
  const r = await dial({ cert: forged.cert + otherCa.cert, key: forged.key });
  assert.equal(r.status, 401);
});

test('link: a removed agent is disconnected and refused (4403)', async () => {
  const agent = await newAgent();
  const first = await dial({ cert: agent.cert, key: agent.key });
  assert.ok(first.ws);
  hello(first.ws);
  await waitFor(
    'active',
    5000,
    async () => (await m.service.getAgent(agent.id)).status === 'active' || undefined,
  );
  await m.service.removeAgent(agent.id);
  assert.equal((await first.closed).code, 4403);
  const again = await dial({ cert: agent.cert, key: agent.key });
  const refused = await again.closed;
  assert.equal(refused.code, 4403);
  assert.match(refused.reason, /removed/);
  assert.equal((await m.service.getAgent(agent.id)).status, 'removed');
});

test('link: a refused connection that goes on sending a bad frame is dropped; the manager goes on', async () => {
  const agent = await newAgent();
  await m.service.removeAgent(agent.id);
  const refused = await dial({ cert: agent.cert, key: agent.key });
  assert.ok(refused.ws);
  // Sent before the refusal's close frame is read here: the manager reads it while closing.
  refused.ws.send('x'.repeat(1024 * 1024 + 10));
  const closed = await refused.closed;
  assert.ok([4403, 1006, 1009].includes(closed.code), JSON.stringify(closed));
  const other = await newAgent();
  const ok = await dial({ cert: other.cert, key: other.key });
  assert.ok(ok.ws, 'the manager still takes connections');
  ok.ws.close();
});

test('link: oversized and malformed frames close only that connection', async () => {
  const bystander = await newAgent();
  const bad = await newAgent();
  const ok = await dial({ cert: bystander.cert, key: bystander.key });
  assert.ok(ok.ws);
  hello(ok.ws);
  const big = await dial({ cert: bad.cert, key: bad.key });
  assert.ok(big.ws);
  big.ws.send('x'.repeat(1024 * 1024 + 10));
  assert.equal((await big.closed).code, 1009);
  const junk = await dial({ cert: bad.cert, key: bad.key });
  assert.ok(junk.ws);
  junk.ws.send('{"type":"hello"');
  assert.deepEqual(await junk.closed, { code: 4400, reason: 'frame is not a JSON object' });
  assert.equal(ok.ws.readyState, WebSocket.OPEN, 'the other agent is unaffected');
  assert.equal((await m.service.getAgent(bystander.id)).status, 'active');
  ok.ws.close();
});

test('link: the agent id comes from the certificate, never from a frame', async () => {
  const agent = await newAgent();
  const r = await dial({ cert: agent.cert, key: agent.key });
  assert.ok(r.ws);
  const welcome = new Promise<{ agentId: string }>((resolve) => {
    r.ws!.once('message', (d: Buffer) => {
      resolve(JSON.parse(d.toString()) as { agentId: string });
    });
  });
  hello(r.ws);
  assert.equal((await welcome).agentId, agent.id);
  const record = {
    id: 7,
    key: 'mark-10.0.0.1',
    arName: 'mark600',
    program: 'active-response/bin/mark',
    action: 'add',
    agentId: '001',
    startedAt: 1,
    endedAt: 2,
    exitCode: 0,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
  };
  r.ws.send(JSON.stringify({ type: 'execution', record, active: null }));
  await waitFor(
    'recorded',
    5000,
    async () => (await m.service.listExecutions({ agentId: agent.id })).length === 1 || undefined,
  );
  const [recorded] = await m.service.listExecutions({ agentId: agent.id });
  assert.equal(recorded?.agentId, agent.id, 'recorded under the certificate id');
  assert.notEqual(agent.id, '001');
  assert.equal(
    (await m.service.listExecutions({ agentId: '001' })).length,
    0,
    'nothing recorded for the claimed id',
  );
  r.ws.close();
});

test('an order waiting longer than its time-to-live is recorded as expired', async () => {
  const agent = await newAgent();
  const line = JSON.stringify({
    rule: { level: 10, id: '100002' },
    agent: { id: agent.id },
    id: '1.1',
    data: { srcip: '10.9.9.9' },
  });
  const summary = await m.service.ingestAlerts([line]);
  assert.equal(summary.orders, 1);
  const [queued] = await m.service.listOrders({ agentId: agent.id });
  assert.equal(queued?.state, 'queued');
  const expired = await waitFor(
    'expired',
    5000,
    async () => (await m.service.listOrders({ agentId: agent.id, state: 'expired' }))[0],
  );
  assert.equal(expired.seq, queued?.seq);
  assert.ok(expired.expiredAt !== undefined && expired.expiredAt > expired.expiresAt);
  assert.equal((await m.service.stats()).ordersByState.expired >= 1, true);
});
