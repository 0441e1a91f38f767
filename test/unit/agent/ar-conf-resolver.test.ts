/**
 * ArConfResolver's (1103) "could not open ar.conf": an enrolled agent (ar.conf from the manager's
 * welcome) logs the expected not-yet-received absence once at info, then at debug, and never as an
 * error; once it has read the file, a missing file is the (1103) error again. Without a manager the
 * absence is always the error.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AR_CONF_PATH } from '../../../src/core/ar-conf.js';
import { ArConfResolver } from '../../../src/agent/ar-conf-resolver.js';
import type { DaemonLog } from '../../../src/log/daemon-log.js';

const root = mkdtempSync(path.join(tmpdir(), 'riposte-ar-conf-resolver-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

type Line = [level: string, msg: string];

function recordingLog(lines: Line[]): DaemonLog {
  const at =
    (level: string) =>
    (msg: string): void => {
      lines.push([level, msg]);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    flush: () => undefined,
  };
}

const levels = (lines: readonly Line[]): string[] => lines.map(([level]) => level);

test('an enrolled agent: absent before the first welcome is info once, then debug; absent after a read is (1103)', async () => {
  const home = path.join(root, 'enrolled');
  mkdirSync(home);
  const lines: Line[] = [];
  const resolver = new ArConfResolver(home, recordingLog(lines), { fromManager: true });
  assert.deepEqual(resolver.names(), []);
  assert.deepEqual(resolver.resolve('firewall-drop600'), { kind: 'unknown' });
  assert.ok(lines.length >= 2, 'each lookup read the file again');
  assert.deepEqual(
    levels(lines),
    ['info', ...lines.slice(1).map(() => 'debug')],
    'info once, then debug: no error while not received yet',
  );
  assert.match(lines[0]?.[1] ?? '', /not received from the manager yet/);

  // The welcome writes it (install-ar-conf.ts): commands resolve.
  mkdirSync(path.dirname(path.join(home, AR_CONF_PATH)), { recursive: true });
  writeFileSync(path.join(home, AR_CONF_PATH), 'firewall-drop600 - firewall-drop - 600\n');
  assert.equal(resolver.resolve('firewall-drop600').kind !== 'unknown', true);

  // Removed later (the file is stat'ed once per event-loop turn: a later turn): Wazuh's error.
  lines.length = 0;
  rmSync(path.join(home, AR_CONF_PATH));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(resolver.resolve('firewall-drop600'), { kind: 'unknown' });
  assert.ok(lines.some(([level, msg]) => level === 'error' && msg.startsWith('(1103): Could not open file')));
});

test('without a manager, an absent ar.conf is the (1103) error at once', () => {
  const home = path.join(root, 'standalone');
  mkdirSync(home);
  const lines: Line[] = [];
  const resolver = new ArConfResolver(home, recordingLog(lines));
  assert.deepEqual(resolver.names(), []);
  assert.deepEqual(levels(lines), ['error']);
  assert.match(
    lines[0]?.[1] ?? '',
    /^\(1103\): Could not open file 'etc\/shared\/ar.conf' due to \[ENOENT\]\.$/,
  );
});
