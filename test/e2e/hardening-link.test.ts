/**
 * Issue 13.3: what one agent can make the manager store is bounded. 300 `execution` frames with a
 * 1 MB `stderrTail` each (the attack grew manager.db by 300 MB) are cut at receipt to 4 KiB tails;
 * an oversized identifier or a frame nested thousands deep closes only that connection (4400),
 * counted in the input rejections.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import type { EnrollResult } from '../../src/protocol/fleet-records.js';
import { rejectionCount } from '../../src/protocol/input-rejections.js';
import { LINK_FIELD_CAPS } from '../../src/protocol/link.js';
import { makeDir, removeDir, waitFor } from '../manager/support/fleet.js';
import { executionFrame } from '../manager/support/backpressure.js';

const root = makeDir('hardening-link');
let m: ManagerRuntime;

before(async () => {
  const conf = path.join(root, 'ossec.conf');
  writeFileSync(conf, '<ossec_config></ossec_config>\n');
  m = await startManagerRuntime({
    configPath: conf,
    home: path.join(root, 'manager'),
    listen: { host: '127.0.0.1', port: 0 },
    localAgent: false,
    logLevel: 'warn',
  });
});

after(async () => {
  await m.stop();
  removeDir(root);
});

function enroll(name: string): Promise<EnrollResult> {
  const password = readFileSync(m.passwordFile, 'utf8').trim();
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
          resolve(JSON.parse(text) as EnrollResult);
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ name, password }));
  });
}

async function connect(agent: EnrollResult): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const options: WebSocket.ClientOptions & ConnectionOptions = {
    ca: m.pki.ca.cert,
    cert: agent.cert,
    key: agent.key,
  };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const ws = new WebSocket(`wss://127.0.0.1:${m.address.port}/link`, options);
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code) => {
      resolve(code);
    }),
  );
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false }));
  return { ws, closed };
}

test('300 execution frames with a 1 MB stderrTail each: tails cut to 4 KiB, manager.db stays small', async () => {
  const agent = await enroll('big-tails');
  const { ws } = await connect(agent);
  const tail = 'x'.repeat(1_000_000);
  for (let id = 1; id <= 300; id++) {
    ws.send(JSON.stringify(executionFrame(id, tail)));
  }
  await waitFor(
    '300 recorded',
    60_000,
    async () =>
      (await m.service.listExecutions({ agentId: agent.id, limit: 1000 })).length === 300 || undefined,
  );
  const rows = await m.service.listExecutions({ agentId: agent.id, limit: 1000 });
  assert.ok(rows.every((r) => r.stderrTail.length <= LINK_FIELD_CAPS.stderrTail + 64));
  const dir = path.join(m.home, 'var');
  const bytes = ['manager.db', 'manager.db-wal'].reduce((sum, f) => {
    try {
      return sum + statSync(path.join(dir, f)).size;
    } catch {
      return sum;
    }
  }, 0);
  console.log(`manager.db + wal after 300 x 1 MB tails: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
  // Unbounded, this was 300 MB; capped, 300 rows of ~5 KiB.
  assert.ok(bytes < 20 * 1024 * 1024, `manager.db grew to ${bytes} bytes`);
  ws.close();
});

test('a frame nested 10,000 deep or with an oversized key closes that connection (4400), counted', async () => {
  const agent = await enroll('deep-frames');
  const before = rejectionCount('link', 'invalid');
  const deep = await connect(agent);
  deep.ws.send(`{"type":"execution","record":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
  assert.equal(await deep.closed, 4400);
  const longKey = await connect(agent);
  const bad = { ...executionFrame(1).record, key: 'k'.repeat(LINK_FIELD_CAPS.key + 1) };
  longKey.ws.send(JSON.stringify({ ...executionFrame(1), record: bad }));
  assert.equal(await longKey.closed, 4400);
  assert.equal(rejectionCount('link', 'invalid') - before, 2);
  assert.equal((await m.service.listExecutions({ agentId: agent.id })).length, 0);
  // The same agent's next, normal frame on a new connection is taken in as usual.
  const t0 = Date.now();
  const next = await connect(agent);
  next.ws.send(JSON.stringify(executionFrame(1, 'ok')));
  await waitFor(
    'the normal frame recorded',
    10_000,
    async () => (await m.service.listExecutions({ agentId: agent.id })).length === 1 || undefined,
  );
  console.log(`link: a normal frame recorded ${Date.now() - t0} ms after the deep one`);
  next.ws.close();
});
