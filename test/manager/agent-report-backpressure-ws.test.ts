/**
 * The agent's side of backpressure over a real link (agent-connector.ts on a TLS WebSocket on
 * loopback): a manager that stops reading right after the hello (ws `pause()`, as its read pauses
 * do) while the agent has ~40 MiB of executions to report. The agent stops reading its store once
 * ws holds more than REPORT_UNSENT_MAX_BYTES unsent: what it holds stays under the bound plus one
 * report run, and the store is not read to its end. Once the manager reads again, every execution
 * arrives, each once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { startAgentRuntime } from '../../src/agent/agent-runtime.js';
import { DEFAULT_SCRIPT_LIMITS } from '../../src/agent/executor/spawn-script.js';
import { startAgentConnector } from '../../src/link/agent-connector.js';
import { installArConf } from '../../src/link/install-ar-conf.js';
import {
  AgentLinkSession,
  REPORT_RUN_MAX,
  REPORT_UNSENT_MAX_BYTES,
  type UnsentBytes,
} from '../../src/link/agent-link-session.js';
import { parseAgentFrame, type ManagerFrame } from '../../src/protocol/link.js';
import { sampleEnd, sampleStart } from '../contract/agent-store.fixtures.js';
import { waitFor } from './support/fleet.js';
import { enrolledAgentHome, standInPki, standInServer, type StandInPki } from '../support/link-stand-in.js';

/** Executions to report: ~1.2 KiB each, ~36 MiB in all (loopback's socket buffers hold a few MiB). */
const EXECUTIONS = 30_000;
const TAIL = 'e'.repeat(1_000);

/** A manager stand-in: welcomes the agent, then reads nothing until `resume()`; keeps the ids. */
async function pausingManager(pki: StandInPki) {
  const standIn = standInServer(pki);
  const wss = standIn.wss;
  const reported: number[] = [];
  let agent: WebSocket | undefined;
  wss.on('connection', (ws) => {
    agent = ws;
    ws.on('message', (data: Buffer) => {
      const parsed = parseAgentFrame(data.toString('utf8'));
      assert.ok(parsed.ok);
      const frame = parsed.frame;
      if (frame.type === 'hello') {
        const welcome: ManagerFrame = {
          type: 'welcome',
          agentId: '001',
          lastExecutionId: 0,
          arConf: '',
          batches: true,
        };
        ws.send(JSON.stringify(welcome));
        ws.pause(); // no more reading: the agent's reports wait on its side
      } else if (frame.type === 'executions') {
        reported.push(...frame.items.map((i) => i.record.id));
      } else if (frame.type === 'execution') {
        reported.push(frame.record.id);
      }
    });
  });
  return {
    port: await standIn.listen(),
    reported,
    resume: () => agent?.resume(),
    close: () => standIn.close(),
  };
}

test('a manager that does not read: the agent holds at most the bound plus one run, then all arrive', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-agent-backpressure-ws-'));
  const pki = await standInPki(dir);
  const manager = await pausingManager(pki);
  const home = await enrolledAgentHome(dir, pki, manager.port);
  installArConf(home, ''); // what the welcome installs: no warning at start for its absence
  const runtime = await startAgentRuntime({
    home,
    agentId: '001',
    settings: { disabled: false, repeatedOffenders: [] },
    limits: DEFAULT_SCRIPT_LIMITS,
    logLevel: 'info',
    bootIdFile: '/proc/sys/kernel/random/boot_id',
    revertOnStop: false,
  });
  const store = runtime.store;
  store.transaction(() => {
    for (let i = 0; i < EXECUTIONS; i++) {
      const id = store.startExecution(sampleStart({ arName: 'mark600', agentId: '001', startedAt: 1 }));
      store.endExecution(id, sampleEnd({ endedAt: 2, exitCode: 1, status: 'failed', stderrTail: TAIL }));
    }
  });
  // One report as a run carries it (with a margin for its frame's wrapping and its seq).
  const sample = store.getExecutions([1])[0];
  const runBytes = REPORT_RUN_MAX * (JSON.stringify({ record: sample, active: null }).length + 64);
  const limit = REPORT_UNSENT_MAX_BYTES + runBytes;
  assert.ok(EXECUTIONS * (runBytes / REPORT_RUN_MAX) > 3 * limit, 'far more to report than the limit');
  const rowsRead = t.mock.method(store, 'listEndedExecutionsAfter');
  const read = (): number => rowsRead.mock.calls.reduce((n, c) => n + (c.result?.length ?? 0), 0);
  // The connector's own unsent count (ws.bufferedAmount), as the session asks it at each run.
  const checks = { over: 0, peak: 0, probe: undefined as UnsentBytes | undefined };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the session as `this`
  const connected = AgentLinkSession.prototype.connected;
  t.mock.method(
    AgentLinkSession.prototype,
    'connected',
    function (this: AgentLinkSession, send: Parameters<typeof connected>[0], unsent?: UnsentBytes) {
      checks.probe = unsent;
      connected.call(this, send, () => {
        const n = unsent?.() ?? 0;
        checks.peak = Math.max(checks.peak, n);
        checks.over += n > REPORT_UNSENT_MAX_BYTES ? 1 : 0;
        return n;
      });
    },
  );
  const connector = startAgentConnector(runtime, home, { deadAfterMs: 120_000 });
  try {
    assert.ok(connector !== undefined);
    await waitFor('the agent deferring its reports, or its whole store read', 60_000, () => {
      return checks.over >= 3 || read() >= EXECUTIONS || undefined;
    });
    assert.ok(checks.probe !== undefined, "the connector tells the session ws's unsent bytes");
    const held = checks.probe();
    assert.ok(held <= limit, `the agent holds ${held} bytes unsent (limit ${limit})`);
    assert.ok(checks.peak <= limit, `peak ${checks.peak} bytes unsent (limit ${limit})`);
    // Loopback's socket buffers take a few MiB more: the point is that reading stopped.
    assert.ok(read() < EXECUTIONS, `${read()} of ${EXECUTIONS} executions read while the manager reads none`);
    manager.resume();
    await waitFor('every report', 60_000, () => manager.reported.length >= EXECUTIONS || undefined);
    assert.equal(manager.reported.length, EXECUTIONS, 'each execution once');
    assert.equal(read(), EXECUTIONS, 'each execution read once');
    assert.deepEqual(
      manager.reported,
      Array.from({ length: EXECUTIONS }, (_, i) => i + 1),
    );
  } finally {
    manager.resume();
    await connector?.stop();
    await runtime.stop();
    await manager.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
