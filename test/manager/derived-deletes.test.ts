/**
 * Execution reports leave out an active response's delete message when the manager can rebuild it
 * (the add message with only its command made "delete", as execd stores it): offered by the
 * manager's welcome (`derivedDeletes`), checked by the parser, and rebuilt before the manager
 * stores the active response, so its API shows the exact delete message the agent will run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deleteLineOf,
  encodeFrame,
  parseAgentFrame,
  parseManagerFrame,
  reportedActive,
  withDeleteMessage,
} from '../../src/protocol/link.js';
import { AgentLinkSession } from '../../src/link/agent-link-session.js';
import { connectInProcess } from '../../src/link/in-process-link.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { withManagerHost } from './support/manager-host.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { recordSentFrames } from '../support/link-session.js';
import { fullActive, sampleEnd, sampleStart } from '../contract/agent-store.fixtures.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import type { ActiveResponse, ExecutionRecord } from '../../src/protocol/execution-records.js';

const addLine =
  '{"version":1,"command":"add","parameters":{"alert":{"full_log":"x \\"command\\":\\"add\\""}}}';
/** An add line whose delete is the add with command "delete". */
const derivable = fullActive({
  key: 'firewall-drop-192.0.2.1',
  agentId: '001',
  addMessage: addLine,
  deleteMessage: addLine.replace('"command":"add"', '"command":"delete"'),
});
/** One whose stored delete message is not derived from its add message. */
const custom = fullActive({
  key: 'firewall-drop-192.0.2.2',
  agentId: '001',
  addMessage: '{"command":"add","n":2}',
  deleteMessage: '{"command":"delete","n":2,"by":"hand"}',
});

/** Resolves once `cond` holds (checked every 5 ms), or fails after 10 s. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    assert.ok(Date.now() < deadline, 'condition not reached within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('derived delete messages', () => {
  test('left out only when rebuilt exactly; the parser takes a left-out one only when it can rebuild it', () => {
    assert.equal(deleteLineOf(addLine), derivable.deleteMessage);
    assert.equal(deleteLineOf('{"command":"add","x":{"command":"add"}}'), undefined, 'ambiguous: twice');
    assert.equal(deleteLineOf('{"command":"delete"}'), undefined);
    const left = reportedActive(derivable);
    assert.equal(left.deleteMessage, undefined);
    assert.equal(JSON.stringify(left).includes('deleteMessage'), false, 'left out of the JSON');
    assert.deepEqual(withDeleteMessage(left), derivable);
    assert.deepEqual(reportedActive(custom), custom, 'kept when it differs');
    const record: ExecutionRecord = {
      ...sampleStart({ key: derivable.key }),
      id: 1,
      ...sampleEnd({ endedAt: 2 }),
    };
    const frame = { type: 'execution', seq: 1, record, active: left } as const;
    const parsed = parseAgentFrame(encodeFrame(frame));
    assert.ok(parsed.ok && parsed.frame.type === 'execution');
    assert.ok(parsed.frame.active !== null && !('deleteMessage' in parsed.frame.active));
    assert.deepEqual(withDeleteMessage(parsed.frame.active), derivable);
    const underivable = { ...left, addMessage: '{"command":"add","again":{"command":"add"}}' };
    assert.deepEqual(parseAgentFrame(encodeFrame({ ...frame, active: underivable })), {
      ok: false,
      error: 'invalid execution frame',
    });
    const welcome = { type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: '', derivedDeletes: true };
    assert.deepEqual(parseManagerFrame(encodeFrame(welcome as never)), { ok: true, frame: welcome });
  });

  test('the agent leaves it out for a manager that offers it; the manager stores it rebuilt', async () => {
    const store = tempAgentStore();
    try {
      await withManagerHost('riposte-derived-deletes-', async (host) => {
        await host.store.insertAgent(agentRecord('001'));
        const runs = new Map<string, ActiveResponse>([
          ['a', derivable],
          ['b', custom],
        ]);
        const session = new AgentLinkSession({
          execd: {
            submit: (raw: string) => {
              const active = runs.get(raw) ?? derivable;
              const id = store.startExecution(sampleStart({ key: active.key, agentId: '001' }));
              store.putActive(active);
              store.endExecution(id, sampleEnd({ endedAt: 2 }));
              return Promise.resolve({ executionId: id, key: active.key, decision: 'started' as const });
            },
            revert: () => Promise.resolve(undefined),
            listActive: () => [],
          },
          store,
          log: memoryDaemonLog(),
          version: 't',
          disabled: false,
          installArConf: () => undefined,
          reportHoldMs: 0,
        });
        const sent = recordSentFrames(session);
        const link = connectInProcess(host.handler, '001', session);
        await until(() => sent.some((f) => f.type === 'active-list'));
        session.onFrame({ type: 'order', seq: 1, kind: 'add', message: 'a' });
        session.onFrame({ type: 'order', seq: 2, kind: 'add', message: 'b' });
        await until(async () => {
          await host.handler.drain();
          return (await host.store.listActive('001')).length === 2;
        });
        const reported = sent.flatMap((f) =>
          f.type === 'executions' ? f.items : f.type === 'execution' ? [f] : [],
        );
        assert.deepEqual(
          reported.map((r) => r.active?.deleteMessage),
          [undefined, custom.deleteMessage],
        );
        const stored = await host.store.listActive('001');
        assert.deepEqual(
          stored.map((a) => [a.key, a.deleteMessage, a.addMessage]),
          [
            [derivable.key, derivable.deleteMessage, derivable.addMessage],
            [custom.key, custom.deleteMessage, custom.addMessage],
          ],
        );
        link.close();
        await host.handler.drain();
      });
    } finally {
      store.close();
    }
  });
});
