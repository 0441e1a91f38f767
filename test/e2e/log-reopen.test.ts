/**
 * SIGHUP reopens the daemon log (issue #9 item 5, for logrotate's `postrotate` / systemd's
 * `ExecReload`): after the file is moved away, new lines go to a new `logs/riposte.log`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { arMessage, makeHome, removeHome, startDaemon, waitFor } from './support/daemon-harness.js';

test('SIGHUP reopens logs/riposte.log after a rotation; the daemon keeps running', async () => {
  const home = makeHome('riposte-hup-');
  const d = await startDaemon(home, ['agent']);
  try {
    const log = join(home, 'logs/riposte.log');
    renameSync(log, `${log}.1`);
    d.proc.kill('SIGHUP');
    await waitFor('the reopen', 10_000, () => (d.output().includes('log files reopened') ? true : undefined));
    assert.ok(existsSync(log), 'a new riposte.log is created at once');
    await d.send(arMessage('no-such-command600', '192.0.2.1'));
    const text = await waitFor('a line in the new file', 10_000, () => {
      const t = readFileSync(log, 'utf8');
      return t.includes('no-such-command600') ? t : undefined;
    });
    assert.ok(text.split('\n').every((l) => l === '' || JSON.parse(l) !== undefined));
    assert.ok(
      !readFileSync(`${log}.1`, 'utf8').includes('no-such-command600'),
      'nothing more in the old file',
    );
    assert.equal(d.proc.exitCode, null);
    assert.equal(await d.stop(), 0, d.output());
  } finally {
    removeHome(home);
  }
});
