/**
 * Issue #9 item 2, agent side: an ar.conf entry whose executable is absent is reported when the
 * agent starts (with a near name), and an alert for it is a recorded, failed execution visible in
 * the history (Wazuh's execd ignores it silently). Expected absences (the default restart lines'
 * Windows alternatives) stay out of the info log. Real daemon, message on the execq socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arMessage,
  daemonLog,
  makeHome,
  removeHome,
  startDaemon,
  writeArConf,
  type Daemon,
} from './support/daemon-harness.js';
import { DEFAULT_AR_CONF_LINES } from '../../src/core/ar-conf.js';

/** An item of `GET /executions` (the manager's shape, camelCase). */
interface ExecutionRow {
  readonly arName: string;
  readonly status: string;
  readonly srcip?: string;
  readonly note?: string;
}

/** Asks `check` every 50 ms until it gives a value; fails after 10 s. */
async function poll<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const PINO_WARN = 40;
const PINO_INFO = 30;

let home = '';
let daemon: Daemon;

before(async () => {
  home = makeHome();
  writeArConf(home, [...DEFAULT_AR_CONF_LINES, 'firewall-drp600 - firewall-drp - 600']);
  daemon = await startDaemon(home, ['agent']);
});

after(async () => {
  await daemon.stop();
  removeHome(home);
});

void describe('agent: an executable that is not present', () => {
  void test('is reported at start, with the nearest installed script', () => {
    const lines = daemonLog(home).filter((l) => l.msg.includes('not present'));
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [
        [
          PINO_WARN,
          "Active response command not present: 'active-response/bin/firewall-drp'. Not using it on this " +
            "system. Executions of 'firewall-drp600' will be recorded as failed. Did you mean 'firewall-drop'?",
        ],
      ],
    );
    assert.equal(
      daemonLog(home).some((l) => l.level <= PINO_INFO && l.msg.includes('restart-ossec.cmd')),
      false,
    );
  });

  void test('an alert for it is a failed execution in the history', async () => {
    await daemon.send(arMessage('firewall-drp600', '203.0.113.77'));
    const found = await poll('the execution record of firewall-drp600', async () => {
      const { items } = await daemon.api().call<{ items: ExecutionRow[] }>('GET', '/executions?limit=10');
      return items.find((e) => e.arName === 'firewall-drp600');
    });
    assert.equal(found.status, 'spawn-error');
    assert.equal(found.srcip, '203.0.113.77');
    assert.match(found.note ?? '', /not present: active-response\/bin\/firewall-drp does not exist/);
  });
});
