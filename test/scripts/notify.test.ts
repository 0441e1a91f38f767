/**
 * notify against local HTTP servers on 127.0.0.1 only: Slack and JSON payloads, time limit,
 * non-2xx, option parsing, and inputs that must fail without any request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import { notify } from '../../src/scripts/notify.js';
import { parseNotifyOptions, parseTimeout } from '../../src/scripts/notify/options.js';
import { slackColor, slackPayload } from '../../src/scripts/notify/slack-payload.js';
import { arMessage, runInProcess, tempDir } from './stock-b/harness.js';

interface Received {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

const home = tempDir('notify');
const received: Received[] = [];
let status = 200;
let hang = false;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      contentType: req.headers['content-type'] ?? '',
      body,
    });
    if (!hang) {
      res.writeHead(status).end('ok');
    }
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

const alert = {
  timestamp: '2024-01-02T03:04:05.000+0000',
  id: '1700000000.99',
  rule: { id: '5712', level: 10, description: 'sshd: brute force' },
  agent: { id: '001', name: 'web-01' },
  location: '/var/log/auth.log',
  full_log: 'Failed password for root from 192.0.2.4',
  data: { srcip: '192.0.2.4' },
};

function run(command: string, extra: unknown[], a: unknown = alert): ReturnType<typeof runInProcess> {
  received.length = 0;
  return runInProcess(notify, home, arMessage(command, a, extra, 'notify'));
}

void describe('notify options and payload (pure)', () => {
  void test('Slack payload is the wazuh-slack shape, field for field', () => {
    assert.deepEqual(slackPayload(alert), {
      attachments: [
        {
          color: 'danger',
          pretext: 'WAZUH Alert',
          title: 'sshd: brute force',
          text: 'Failed password for root from 192.0.2.4',
          fields: [
            { title: 'Agent', value: '(001) - web-01' },
            { title: 'Location', value: '/var/log/auth.log' },
            { title: 'Rule ID', value: '5712 (level 10)' },
          ],
          ts: '1700000000.99',
        },
      ],
    });
    assert.deepEqual(slackPayload({ id: '1.2', agentless: { host: 'sw1' }, rule: { id: '1' } }).attachments, [
      {
        color: 'good',
        pretext: 'WAZUH Alert',
        title: 'N/A',
        text: '',
        fields: [
          { title: 'Agentless Host', value: 'sw1' },
          { title: 'Location', value: 'N/A' },
          { title: 'Rule ID', value: '1 (level N/A)' },
        ],
        ts: '1.2',
      },
    ]);
    // No alert id: ts is empty, as wazuh-slack writes it.
    assert.deepEqual(slackPayload({ rule: { id: '1' } }), {
      attachments: [
        {
          color: 'good',
          pretext: 'WAZUH Alert',
          title: 'N/A',
          text: '',
          fields: [
            { title: 'Location', value: 'N/A' },
            { title: 'Rule ID', value: '1 (level N/A)' },
          ],
          ts: '',
        },
      ],
    });
    assert.deepEqual([4, 5, 7, 8, undefined].map(slackColor), [
      'good',
      'warning',
      'warning',
      'danger',
      'good',
    ]);
  });

  void test('options: format defaults by host, timeouts parsed and capped, unknown args refused', () => {
    const slack = parseNotifyOptions(['https://hooks.slack.com/services/T/B/X']);
    assert.ok(slack.ok && slack.options.format === 'slack' && slack.options.timeoutMs === 5000);
    const json = parseNotifyOptions(['http://127.0.0.1:9/x', '--timeout', '750ms']);
    assert.ok(json.ok && json.options.format === 'json' && json.options.timeoutMs === 750);
    assert.deepEqual(
      [parseTimeout('5s'), parseTimeout('1m'), parseTimeout('2'), parseTimeout('61s'), parseTimeout('0')],
      [5000, 60000, 2000, undefined, undefined],
    );
    for (const bad of [
      [],
      ['ftp://x'],
      ['http://x', '--format', 'xml'],
      ['http://x', '--timeout'],
      ['http://x', ';id'],
    ]) {
      assert.equal(parseNotifyOptions(bad).ok, false, JSON.stringify(bad));
    }
  });
});

void describe('notify script (127.0.0.1 server)', () => {
  void test('slack format posts the wazuh-slack payload as JSON; exit 0', async () => {
    status = 200;
    const r = await run('add', [`${base}/hook/secret-token`, '--format', 'slack']);
    assert.equal(r.code, 0, r.log.join('\n'));
    assert.deepEqual(r.written, [], 'stateless: no check_keys');
    assert.equal(received.length, 1);
    assert.equal(received[0]?.method, 'POST');
    assert.equal(received[0]?.url, '/hook/secret-token');
    assert.match(received[0]?.contentType ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(received[0]?.body ?? ''), slackPayload(alert));
    assert.ok(r.log.includes(`Posted to '${base}': HTTP 200`));
    assert.ok(!r.log.slice(2).some((l) => l.includes('secret-token')), 'the webhook path is not logged');
  });

  void test('json format (default for non-Slack hosts) posts {command, alert}, also on delete', async () => {
    status = 204;
    for (const command of ['add', 'delete']) {
      const r = await run(command, [`${base}/generic`]);
      assert.equal(r.code, 0, r.log.join('\n'));
      assert.deepEqual(JSON.parse(received[0]?.body ?? ''), { command, alert });
    }
  });

  void test('non-2xx reply: exit 255 with the status in the log', async () => {
    status = 500;
    const r = await run('add', [`${base}/x`]);
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), `Unable to post to '${base}': HTTP 500`);
    status = 200;
  });

  void test('a server that never answers: exit 255 within the time limit', async () => {
    hang = true;
    const t0 = performance.now();
    const r = await run('add', [`${base}/slow`, '--timeout', '300ms']);
    const elapsed = performance.now() - t0;
    hang = false;
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), `Unable to post to '${base}': timed out after 300 ms`);
    assert.ok(elapsed < 3000, `returned after ${elapsed} ms`);
  });

  void test('missing alert, missing URL, bad options, unknown command: exit 255 and no request', async () => {
    const cases: [string, unknown[], unknown, string][] = [
      ['add', [`${base}/x`], 'not-an-object', "Cannot read 'alert' from data"],
      ['add', [], alert, "Cannot read 'extra_args' from data"],
      ['add', ['--format', 'slack'], alert, 'Invalid extra_args: no http:// or https:// URL'],
      ['add', [`${base}/x`, '$(id)'], alert, "Invalid extra_args: unexpected argument '$(id)'"],
      [
        'add',
        [`${base}/x`, '--timeout', '1h'],
        alert,
        "Invalid extra_args: --timeout must be a duration up to 60s, not '1h'",
      ],
      ['notify', [`${base}/x`], alert, "Invalid value of 'command'"],
    ];
    for (const [command, extra, a, log] of cases) {
      const r = await run(command, extra, a);
      assert.equal(r.code, 255, log);
      assert.equal(r.log.at(-1), log);
      assert.equal(received.length, 0);
    }
  });
});
