/**
 * An add whose spawned script reaches its time limit while waiting for its key's turn (the wait
 * counts against execMs, executor-port.ts): when the turn comes the script is dead, so nothing may
 * be recorded as in force for it. Real /bin/sh scripts, a temporary home and store; every step
 * waits on what the scripts write or on a process having gone, never on a fixed delay.
 *
 *   A  add of key K: answered continue, applies, then holds K until its limit stops it;
 *   D  operator revert of K, queued behind A: holds K (its delete waits for `d-go`);
 *   B  repeat add of K, queued behind D: prints check_keys and dies at its limit while waiting.
 * Once B is gone, `d-go` lets D finish; B's turn then finds K not active and a dead script.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArConfResolver } from '../../src/agent/ar-conf-resolver.js';
import { Execd } from '../../src/agent/execd/execd.js';
import { LATE_NOTE } from '../../src/agent/execd/run-add.js';
import { selectRunner } from '../../src/agent/executor/select-runner.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { buildArMessage } from '../../src/protocol/ar-message.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { isRunning, waitFor } from './process-probe.js';

/** Long enough for A's and B's starts on a busy machine; B dies one limit after its spawn. */
const LIMITS = {
  execMs: 2500,
  handshakeMs: 2000,
  killGraceMs: 500,
  stderrTailBytes: 4096,
  maxLineBytes: 8191,
};
/** Bound of every wait on a condition (generous: only lower bounds are tight). */
const WAIT_MS = 20_000;
const IP = '198.51.100.7';
const KEY = `slow-${IP}`;

// add: check_keys, then on continue "applied" and hold until killed; on abort "abort".
// delete: "delete-start", wait for d-go, "delete-done". Every line names the script's pid.
const SCRIPT = `#!/bin/sh
read -r line
ip=$(printf '%s' "$line" | sed -n 's/.*"srcip":"\\([^"]*\\)".*/\\1/p')
case "$line" in
*'"command":"add"'*)
  printf '{"version":1,"origin":{"name":"slow","module":"active-response"},"command":"check_keys","parameters":{"keys":["%s"]}}\\n' "$ip"
  echo "check_keys $$" >> trace
  read -r reply || exit 1
  case "$reply" in *'"command":"continue"'*) ;; *) echo "abort $$" >> trace; exit 0;; esac
  echo "applied $$" >> trace
  while :; do sleep 0.05; done
  ;;
*)
  echo "delete-start $$" >> trace
  while [ ! -e d-go ]; do sleep 0.05; done
  echo "delete-done $$" >> trace
  ;;
esac
`;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-key-wait-'));
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function makeHome(): string {
  const home = fs.mkdtempSync(path.join(root, 'home-'));
  fs.mkdirSync(path.join(home, 'active-response', 'bin'), { recursive: true, mode: 0o750 });
  fs.mkdirSync(path.join(home, 'etc', 'shared'), { recursive: true });
  fs.writeFileSync(path.join(home, 'active-response', 'bin', 'slow'), SCRIPT, { mode: 0o750 });
  fs.writeFileSync(path.join(home, 'etc', 'shared', 'ar.conf'), 'slow600 - slow - 600\n');
  return home;
}

/** The trace lines `<word> <pid>` written so far. */
function trace(home: string): string[] {
  const file = path.join(home, 'trace');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Pids of the trace lines starting with `word`, in order. */
function pidsOf(home: string, word: string): number[] {
  return trace(home)
    .filter((l) => l.startsWith(`${word} `))
    .map((l) => Number(l.slice(word.length + 1)));
}

test('an add whose script dies waiting for its key records nothing active and arms no revert', async () => {
  const home = makeHome();
  const log = memoryDaemonLog();
  const store = tempAgentStore();
  const now = Date.now;
  const execd = new Execd({
    home,
    agentId: '001',
    store,
    log,
    now,
    resolver: new ArConfResolver(home, log),
    runScript: selectRunner({ now, spawnWorkers: 0 }),
    repeatedOffenders: [],
    limits: LIMITS,
  });
  const message = JSON.stringify(
    buildArMessage({ nodeName: 'n', arName: 'slow600', extraArgs: [], alert: { data: { srcip: IP } } }),
  );
  try {
    const a = execd.submit(message);
    assert.ok(await waitFor(() => pidsOf(home, 'applied').length === 1, WAIT_MS), 'A applied');
    assert.ok(store.getActive(KEY), 'A is active');
    const d = execd.revert(KEY);
    const b = execd.submit(message);
    assert.ok(await waitFor(() => pidsOf(home, 'check_keys').length === 2, WAIT_MS), 'B asked');
    const pidB = pidsOf(home, 'check_keys')[1] ?? -1;
    assert.ok(await waitFor(() => !isRunning(pidB), WAIT_MS), 'B stopped by its limit');
    assert.ok(await waitFor(() => pidsOf(home, 'delete-start').length === 1, WAIT_MS), 'D runs');
    fs.writeFileSync(path.join(home, 'd-go'), '');
    const [ra, rd, rb] = await Promise.all([a, d, b]);

    assert.equal(store.getActive(KEY), undefined, 'K is not listed active');
    assert.equal(store.countActive(), 0);
    assert.equal(execd.armed, 0, 'no revert armed');
    assert.equal(ra?.decision, 'started');
    assert.equal(rd?.reverted, true);
    assert.deepEqual(rb && { key: rb.key, decision: rb.decision }, { key: KEY, decision: 'none' });
    const runB = store.getExecution(rb?.executionId ?? -1);
    assert.equal(runB?.action, 'add');
    assert.equal(runB?.status, 'timed-out');
    assert.equal(runB?.key, KEY);
    assert.equal(runB?.note, LATE_NOTE);
    assert.deepEqual(pidsOf(home, 'applied'), pidsOf(home, 'check_keys').slice(0, 1), 'only A applied');
    assert.deepEqual(pidsOf(home, 'abort'), []);
    assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg.includes('waiting for its key')));
  } finally {
    await execd.stop(false);
  }
});
