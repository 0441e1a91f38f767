/**
 * Backpressure on the agents' frames while the store is slow (read-pauses.ts, frame-backlog.ts):
 * with every store batch held, an agent sending more than its mark stops being read, a quiet agent
 * does not; once the store answers, every frame received is applied, in order per agent, and the
 * paused agent is read again. Logged once each way; the metrics' figures (handler.backlog()) follow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import { createLinkHandler } from '../../src/manager/link-handler.js';
import { DEFAULT_BACKLOG_MARKS } from '../../src/manager/frame-backlog.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';
import { executionFrame, executionIds, holdBatches } from './support/backpressure.js';

const hello = { type: 'hello', version: '1.2.3', lastOrderSeq: 0, disabled: false, batches: true } as const;

/** A session double that records its setReading calls, with how many frames it had sent then. */
function recordingSession(): { session: AgentSession; reading: [boolean, number][]; sent: { n: number } } {
  const reading: [boolean, number][] = [];
  const sent = { n: 0 };
  const session: AgentSession = {
    address: '127.0.0.1',
    send: () => undefined,
    close: () => undefined,
    setReading: (on) => reading.push([on, sent.n]),
  };
  return { session, reading, sent };
}

test('a held store: the agent past its mark stops being read, nothing is lost, reading resumes', async () => {
  await withManagerHost('riposte-link-backpressure-', async (host) => {
    await host.store.insertAgent(agentRecord('001'));
    await host.store.insertAgent(agentRecord('002'));
    const log = memoryDaemonLog();
    const handler = createLinkHandler({ ...host.ctx, log });
    const applied = executionIds(host);
    const held = holdBatches(host);
    const noisy = recordingSession();
    const quiet = recordingSession();
    handler.opened('001', noisy.session);
    handler.opened('002', quiet.session);
    handler.frame('001', noisy.session, hello, 80);
    handler.frame('002', quiet.session, hello, 80);
    await held.entered; // the hellos' batch is being applied (held): what follows waits in the queue
    const total = DEFAULT_BACKLOG_MARKS.sessionFrames + 500;
    for (let id = 1; id <= total; id++) {
      noisy.sent.n++;
      handler.frame('001', noisy.session, executionFrame(id), 300);
    }
    for (let id = 1; id <= 10; id++) {
      quiet.sent.n++;
      handler.frame('002', quiet.session, executionFrame(id), 300);
    }
    assert.deepEqual(
      noisy.reading,
      [[false, DEFAULT_BACKLOG_MARKS.sessionFrames + 1]],
      'paused at the frame past its mark, once',
    );
    assert.deepEqual(quiet.reading, [], 'the quiet agent is read on');
    assert.equal(applied.get('001'), undefined, 'nothing applied while the store is held');
    assert.equal(log.lines.filter((l) => l.level === 'warn').length, 1, 'one warning');
    assert.deepEqual(
      handler.backlog(),
      { frames: total + 10, bytes: (total + 10) * 300, pausedAgents: 1, pauses: 1 },
      "the metrics' figures: every frame waiting, one agent paused",
    );
    held.release();
    await handler.drain();
    assert.deepEqual(
      applied.get('001'),
      Array.from({ length: total }, (_, i) => i + 1),
      'every report, in order',
    );
    assert.deepEqual(
      applied.get('002'),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    assert.deepEqual(noisy.reading.at(-1), [true, total], 'read again once a batch took its frames');
    assert.equal(noisy.reading.length, 2);
    assert.deepEqual(handler.backlog(), { frames: 0, bytes: 0, pausedAgents: 0, pauses: 1 }, 'drained');
    const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /reading paused from agent 001/);
    assert.match(warnings[1] ?? '', /reading from agents resumed \(1 connection pause/);
  });
});
