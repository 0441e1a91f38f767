/**
 * The stock scripts shipped under Wazuh's names (issue #9 item 6): `ip-customblock` (Wazuh's
 * file-per-IP block list, here in a temp dir instead of /ipblock) and `wazuh-slack` (notify with
 * the Slack payload), against a local HTTP server on 127.0.0.1 only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ipCustomBlockIn, IPBLOCK_DIR, ipCustomBlock } from '../../src/scripts/ip-customblock.js';
import { wazuhSlack } from '../../src/scripts/notify.js';
import { slackPayload } from '../../src/scripts/notify/slack-payload.js';
import { stockScripts } from '../../src/scripts/registry.js';
import { alertWith, arMessage, runInProcess, tempDir } from './stock-b/harness.js';

const home = tempDir('wazuh-names');
const blockDir = path.join(home, 'ipblock');
const script = ipCustomBlockIn(blockDir);

const bodies: string[] = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    bodies.push(body);
    res.writeHead(200).end('ok');
  });
});
let base = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
  fs.rmSync(home, { recursive: true, force: true });
});

const run = (command: string, srcip: unknown): ReturnType<typeof runInProcess> =>
  runInProcess(script, home, arMessage(command, alertWith({ srcip }), [], 'ip-customblock'));

void describe('ip-customblock', () => {
  void test('is shipped under its Wazuh name, writing to /ipblock like Wazuh', () => {
    assert.equal(stockScripts.get('ip-customblock'), ipCustomBlock);
    assert.equal(IPBLOCK_DIR, '/ipblock');
    assert.equal(ipCustomBlock.stateful, true);
  });

  void test('add creates the directory and an empty file per IP, after check_keys with the IP', async () => {
    const r = await run('add', '203.0.113.9');
    assert.equal(r.code, 0);
    assert.equal(r.written.length, 1);
    assert.deepEqual((JSON.parse(r.written[0] ?? '{}') as { parameters: unknown }).parameters, {
      keys: ['203.0.113.9'],
    });
    assert.equal(fs.readFileSync(path.join(blockDir, '203.0.113.9'), 'utf8'), '');
    assert.equal((await run('add', '2001:db8::7')).code, 0);
    assert.deepEqual(fs.readdirSync(blockDir).sort(), ['2001:db8::7', '203.0.113.9']);
  });

  void test('delete removes the file; deleting an absent one succeeds', async () => {
    assert.equal((await run('delete', '203.0.113.9')).code, 0);
    assert.equal(fs.existsSync(path.join(blockDir, '203.0.113.9')), false);
    assert.equal((await run('delete', '203.0.113.9')).code, 0);
  });

  void test('an invalid srcip fails before the handshake and writes nothing', async () => {
    for (const srcip of ['../../etc/passwd', '10.0.0.1/../../x', 'not-an-ip', 42]) {
      const r = await run('add', srcip);
      assert.equal(r.code, 255, String(srcip));
      assert.deepEqual(r.written, []);
    }
    assert.deepEqual(fs.readdirSync(blockDir), ['2001:db8::7']);
  });

  void test('a symbolic link planted in the directory is not followed', async () => {
    const target = path.join(home, 'victim');
    fs.writeFileSync(target, 'keep');
    fs.symlinkSync(target, path.join(blockDir, '198.51.100.3'));
    const r = await run('add', '198.51.100.3');
    assert.equal(r.code, 255);
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep');
  });
});

void describe('wazuh-slack', () => {
  void test('is notify under Wazuh name, always posting the Slack payload to the extra_args URL', async () => {
    assert.equal(stockScripts.get('wazuh-slack'), wazuhSlack);
    const alert = alertWith({ srcip: '192.0.2.4' }, { agent: { id: '001', name: 'web-01' } });
    bodies.length = 0;
    const r = await runInProcess(wazuhSlack, home, arMessage('add', alert, [`${base}/hook`], 'wazuh-slack'));
    assert.equal(r.code, 0, r.log.join('\n'));
    assert.deepEqual(r.written, [], 'stateless: no check_keys');
    assert.deepEqual(
      bodies.map((b) => JSON.parse(b) as unknown),
      [slackPayload(alert as Parameters<typeof slackPayload>[0])],
    );
  });
});
