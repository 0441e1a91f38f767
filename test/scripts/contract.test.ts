/**
 * The stock-script contract (reference §4, §5): log lines, envelope and command errors, input
 * validation before the handshake (4.14.7 order), abort/continue, failures, exit codes. Uses a
 * recording StockScript over an in-memory channel, so effects are observed without touching the OS.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AR_LOG_RELATIVE_PATH,
  appendArLog,
  formatArLogLine,
  formatArLogTime,
} from '../../src/scripts/contract/ar-log.js';
import { pairedChannel } from '../../src/scripts/contract/channel.js';
import { SRCIP_INVALID_LOG, srcipInput } from '../../src/scripts/contract/input.js';
import { ArLogMessage, runStockScript } from '../../src/scripts/contract/run-stock-script.js';
import { ScriptFailure, type StockScript } from '../../src/scripts/contract/stock-script.js';
import type { ScriptHost } from '../../src/protocol/script-io.js';
import { buildCheckKeys } from '../../src/protocol/ar-message.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-contract-'));
after(() => {
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

const NOW = new Date(2024, 0, 2, 3, 4, 5);
const ARGV0 = 'active-response/bin/recorder';

function message(command: string, data: Record<string, unknown>, extra: unknown[] = []): string {
  return JSON.stringify({
    version: 1,
    origin: { name: 'node01', module: 'wazuh-execd' },
    command,
    parameters: { extra_args: extra, alert: { rule: { id: '5710' }, data }, program: ARGV0 },
  });
}

/** A stateful srcip script that records its effects instead of changing the system. */
function recorder(opts: { fail?: string } = {}): { script: StockScript; effects: string[] } {
  const effects: string[] = [];
  const script: StockScript = {
    name: 'recorder',
    stateful: true,
    input: (m) => srcipInput(m),
    add(ctx) {
      if (opts.fail !== undefined) {
        return Promise.reject(new ScriptFailure(opts.fail));
      }
      effects.push(`add ${ctx.key ?? ''}`);
      return Promise.resolve();
    },
    delete(ctx) {
      effects.push(`delete ${ctx.key ?? ''}`);
      return Promise.resolve();
    },
  };
  return { script, effects };
}

interface RunResult {
  code: number;
  log: string[];
  /** Lines the script wrote to execd. */
  written: string[];
}

let runCounter = 0;

/**
 * Runs `script` with `first` on stdin; when the script writes a line, `reply` (if any) is sent.
 * Input ends after the lines given (EOF).
 */
async function run(script: StockScript, first: string | undefined, reply?: string): Promise<RunResult> {
  const home = path.join(tmpRoot, `home-${++runCounter}`);
  fs.mkdirSync(home);
  const host: ScriptHost = { home, argv0: ARGV0, now: () => NOW };
  const ch = pairedChannel();
  if (first !== undefined) {
    ch.peer.send(first);
  }
  const written: string[] = [];
  const peer = (async (): Promise<void> => {
    for (let line = await ch.peer.readLine(); line !== undefined; line = await ch.peer.readLine()) {
      written.push(line);
      if (reply !== undefined) {
        ch.peer.send(reply);
      }
      ch.peer.end();
    }
  })();
  if (first === undefined || reply === undefined) {
    ch.peer.end();
  }
  const code = await runStockScript(script, ch.script, host);
  ch.peer.close();
  await peer;
  const logText = fs.readFileSync(path.join(home, AR_LOG_RELATIVE_PATH), 'utf8');
  const prefix = `${formatArLogTime(NOW)} ${ARGV0}: `;
  const log = logText
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      assert.ok(l.startsWith(prefix), `log line has the Wazuh prefix: ${l}`);
      return l.slice(prefix.length);
    });
  return { code, log, written };
}

void describe('active-responses.log format', () => {
  void test('line is "YYYY/MM/DD HH:MM:SS <argv0>: <msg>" in local time', () => {
    const line = formatArLogLine(
      new Date(2022, 5, 17, 14, 6, 7),
      'active-response/bin/firewall-drop',
      'Ended',
    );
    assert.equal(line, '2022/06/17 14:06:07 active-response/bin/firewall-drop: Ended\n');
    assert.match(line, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d active-response\/bin\/\S+: Ended\n$/);
  });
  void test('appends synchronously; a log removed or rotated between lines is recreated at once', () => {
    const home = path.join(tmpRoot, 'rotation');
    const host: ScriptHost = { home, argv0: ARGV0, now: () => NOW };
    const file = path.join(home, AR_LOG_RELATIVE_PATH);
    appendArLog(host, 'one');
    assert.equal(fs.readFileSync(file, 'utf8'), formatArLogLine(NOW, ARGV0, 'one'));
    fs.renameSync(file, `${file}.1`);
    appendArLog(host, 'two');
    fs.rmSync(file);
    appendArLog(host, 'three');
    assert.equal(fs.readFileSync(`${file}.1`, 'utf8'), formatArLogLine(NOW, ARGV0, 'one'));
    assert.equal(fs.readFileSync(file, 'utf8'), formatArLogLine(NOW, ARGV0, 'three'));
  });

  void test('an unwritable log is ignored, as Wazuh does', () => {
    const home = path.join(tmpRoot, 'unwritable');
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(home, 'logs'), 'not a directory');
    assert.doesNotThrow(() => {
      appendArLog({ home, argv0: ARGV0, now: () => NOW }, 'lost');
    });
  });
});

void describe('runStockScript: success paths', () => {
  void test('add + continue: Starting, input, check_keys, reply, Ended; exit 0; one effect', async () => {
    const { script, effects } = recorder();
    const add = message('add', { srcip: '192.168.56.3' });
    const cont = message('continue', { srcip: '192.168.56.3' });
    const r = await run(script, add, cont);
    const keys = JSON.stringify(buildCheckKeys('recorder', ['192.168.56.3']));
    assert.equal(r.code, 0);
    assert.deepEqual(r.written, [keys]);
    assert.deepEqual(r.log, [ArLogMessage.STARTING, add, keys, cont, ArLogMessage.ENDED]);
    assert.deepEqual(effects, ['add 192.168.56.3']);
  });

  void test('add + abort: logs Aborted, exit 0, no effect', async () => {
    const { script, effects } = recorder();
    const r = await run(script, message('add', { srcip: '10.0.0.9' }), message('abort', {}));
    assert.equal(r.code, 0);
    assert.equal(r.log.at(-1), ArLogMessage.ABORTED);
    assert.deepEqual(effects, []);
  });

  void test('delete: no handshake, effect, Ended, exit 0', async () => {
    const { script, effects } = recorder();
    const del = message('delete', { srcip: '10.0.0.9' });
    const r = await run(script, del);
    assert.equal(r.code, 0);
    assert.deepEqual(r.written, []);
    assert.deepEqual(r.log, [ArLogMessage.STARTING, del, ArLogMessage.ENDED]);
    assert.deepEqual(effects, ['delete 10.0.0.9']);
  });

  void test('trailing text after the JSON object is accepted (lenient parse, as execd/cJSON)', async () => {
    const { script, effects } = recorder();
    const r = await run(script, `${message('delete', { srcip: '10.0.0.8' })} trailing garbage`);
    assert.equal(r.code, 0);
    assert.deepEqual(effects, ['delete 10.0.0.8']);
  });

  void test('a stateless script gets no handshake on add', async () => {
    const { script, effects } = recorder();
    const r = await run({ ...script, stateful: false }, message('add', { srcip: '10.0.0.7' }));
    assert.equal(r.code, 0);
    assert.deepEqual(r.written, []);
    assert.deepEqual(effects, ['add 10.0.0.7']);
  });

  void test('IPv4-mapped IPv6 is acted on as IPv4; IPv6 keys are canonical', async () => {
    for (const [raw, key] of [
      ['::ffff:10.1.2.3', '10.1.2.3'],
      ['2001:DB8:0:0::1', '2001:db8::1'],
    ] as const) {
      const { script, effects } = recorder();
      const r = await run(script, message('add', { srcip: raw }), message('continue', {}));
      assert.equal(r.code, 0);
      assert.deepEqual(r.written, [JSON.stringify(buildCheckKeys('recorder', [key]))]);
      assert.deepEqual(effects, [`add ${key}`]);
    }
  });
});

void describe('runStockScript: rejected input exits 255 before any handshake or effect', () => {
  const badIps = [
    '1.2.3.4;id',
    '$(id)',
    '`id`',
    '1.2.3.4\nid',
    '1.2.3.4 && reboot',
    'attacker.example.com',
    'localhost',
    '10.1',
    '127.1',
    '0x7f.0.0.1',
    '010.0.0.1',
    '256.1.1.1',
    ' 1.2.3.4',
    'fe80::1%eth0',
    '1.2.3.4/24',
    '',
  ];
  for (const bad of badIps) {
    void test(`srcip ${JSON.stringify(bad)}`, async () => {
      const { script, effects } = recorder();
      const r = await run(script, message('add', { srcip: bad }), message('continue', {}));
      assert.equal(r.code, 255);
      assert.deepEqual(r.written, [], 'no check_keys sent');
      assert.equal(r.log.at(-1), SRCIP_INVALID_LOG);
      assert.deepEqual(effects, []);
    });
  }

  void test('missing srcip, data not an object, non-string srcip', async () => {
    for (const data of [{}, { srcip: 17 }, { srcuser: 'x' }]) {
      const { script, effects } = recorder();
      const r = await run(script, message('delete', data));
      assert.equal(r.code, 255);
      assert.equal(r.log.at(-1), SRCIP_INVALID_LOG);
      assert.deepEqual(effects, []);
    }
  });

  void test('srcip order: win.eventdata.ipAddress wins; an invalid ipAddress does not fall back', async () => {
    const ok = recorder();
    const win = {
      win: { eventdata: { ipAddress: '10.0.0.1', destinationIp: '10.0.0.2' } },
      srcip: '10.0.0.3',
    };
    assert.equal((await run(ok.script, message('delete', win))).code, 0);
    assert.deepEqual(ok.effects, ['delete 10.0.0.1']);
    const dest = recorder();
    await run(
      dest.script,
      message('delete', { win: { eventdata: { destinationIp: '10.0.0.2' } }, srcip: '10.0.0.3' }),
    );
    assert.deepEqual(dest.effects, ['delete 10.0.0.2']);
    const bad = recorder();
    const r = await run(
      bad.script,
      message('delete', { win: { eventdata: { ipAddress: '-' } }, srcip: '10.0.0.3' }),
    );
    assert.equal(r.code, 255);
    assert.deepEqual(bad.effects, []);
  });

  void test('unknown command -> "Invalid value of \'command\'"', async () => {
    for (const cmd of ['restart', 'ADD', 'continue', 'check_keys']) {
      const { script, effects } = recorder();
      const r = await run(script, message(cmd, { srcip: '10.0.0.1' }));
      assert.equal(r.code, 255);
      assert.equal(r.log.at(-1), ArLogMessage.INVALID_COMMAND);
      assert.deepEqual(effects, []);
    }
  });

  void test('invalid envelope -> "Invalid input format" (raw line logged first)', async () => {
    const lines = [
      'not json',
      '[]',
      '{"version":"1","origin":{},"command":"add","parameters":{}}',
      '{"version":1,"command":"add","parameters":{}}',
      '{"version":1,"origin":{},"command":"add","parameters":[]}',
      '{"version":1,"origin":{},"command":7,"parameters":{}}',
    ];
    for (const line of lines) {
      const { script, effects } = recorder();
      const r = await run(script, line);
      assert.equal(r.code, 255);
      assert.deepEqual(r.log, [ArLogMessage.STARTING, line, ArLogMessage.INVALID_INPUT]);
      assert.deepEqual(effects, []);
    }
  });

  void test('EOF before any line -> "Cannot read input from stdin"', async () => {
    const { script } = recorder();
    const r = await run(script, undefined);
    assert.equal(r.code, 255);
    assert.deepEqual(r.log, [ArLogMessage.STARTING, ArLogMessage.NO_INPUT]);
  });
});

void describe('runStockScript: handshake failures and action failures', () => {
  const add = message('add', { srcip: '10.0.0.5' });

  void test('no reply (EOF) -> "Cannot read input from stdin", 255, no effect', async () => {
    const { script, effects } = recorder();
    const r = await run(script, add);
    assert.equal(r.code, 255);
    assert.equal(r.written.length, 1);
    assert.equal(r.log.at(-1), ArLogMessage.NO_INPUT);
    assert.deepEqual(effects, []);
  });

  void test('garbage reply -> "Invalid input format"; wrong command -> "Invalid value of \'command\'"', async () => {
    const cases = [
      ['{"nope":1}', ArLogMessage.INVALID_INPUT],
      [message('add', {}), ArLogMessage.INVALID_COMMAND],
      [message('delete', {}), ArLogMessage.INVALID_COMMAND],
    ] as const;
    for (const [reply, expected] of cases) {
      const { script, effects } = recorder();
      const r = await run(script, add, reply);
      assert.equal(r.code, 255);
      assert.equal(r.log.at(-1), expected);
      assert.deepEqual(effects, []);
    }
  });

  void test('ScriptFailure: its message is logged, no Ended, exit 255', async () => {
    const { script } = recorder({ fail: 'Unable to take lock. End.' });
    const r = await run(script, add, message('continue', {}));
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), 'Unable to take lock. End.');
    assert.ok(!r.log.includes(ArLogMessage.ENDED));
  });

  void test('an unexpected error is also a logged failure, never a throw', async () => {
    const { script } = recorder();
    const broken: StockScript = { ...script, add: () => Promise.reject(new TypeError('boom')) };
    const r = await run(broken, add, message('continue', {}));
    assert.equal(r.code, 255);
    assert.equal(r.log.at(-1), 'boom');
  });
});
