/**
 * The failed-enrollment limits are configurable (issue 13): `riposte manager` takes
 * --enroll-max-failures, --enroll-window and --enroll-max-addresses, refuses values outside their
 * range before starting (naming the flag), and the running manager applies what it was given.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { startManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { makeDir, removeDir } from './support/fleet.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = makeDir('enroll-limits');
const conf = path.join(root, 'ossec.conf');
writeFileSync(conf, '<ossec_config></ossec_config>\n');

after(() => {
  removeDir(root);
});

async function refusalCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err: unknown) {
    return (err as { code: string }).code;
  }
  return 'enrolled';
}

test('a manager started with a limit of 2 failures refuses the third attempt from that address', async () => {
  const m = await startManagerRuntime({
    configPath: conf,
    home: path.join(root, 'manager'),
    listen: { host: '127.0.0.1', port: 0 },
    localAgent: false,
    enrollLimits: { maxFailures: 2, windowMs: 3_600_000, maxAddresses: 100 },
  });
  try {
    const password = readFileSync(m.passwordFile, 'utf8').trim();
    for (let i = 0; i < 2; i++) {
      const code = await refusalCode(
        m.service.enroll({ name: 'brute', password: `guess-${i}` }, '127.0.0.31'),
      );
      assert.equal(code, ErrorCode.AUTH_FORBIDDEN, `attempt ${i + 1}`);
    }
    assert.equal(
      await refusalCode(m.service.enroll({ name: 'brute', password }, '127.0.0.31')),
      ErrorCode.RATE_LIMITED,
    );
    assert.equal(await refusalCode(m.service.enroll({ name: 'other', password }, '127.0.0.32')), 'enrolled');
  } finally {
    await m.stop();
  }
});

test('riposte manager refuses an out-of-range or malformed limit before starting, naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--enroll-max-failures', '0'], /--enroll-max-failures: 0 is not an integer from 1 to 1000000/],
    [['--enroll-max-failures', 'ten'], /--enroll-max-failures: "ten" is not a whole number/],
    [['--enroll-window', '0'], /--enroll-window: "0" is not a positive duration/],
    [['--enroll-window', '2d'], /--enroll-window: 172800000 is not an integer from 1000 to 86400000 ms/],
    [['--enroll-max-addresses', '5000000'], /--enroll-max-addresses: 5000000 is not an integer/],
  ];
  for (const [flags, message] of cases) {
    const home = path.join(root, 'never-started');
    const r = spawnSync(process.execPath, [MAIN, 'manager', '-c', conf, '--home', home, ...flags], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 1, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stdout, /listening/);
  }
});
