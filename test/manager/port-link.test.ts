/**
 * The link between `riposte start`'s manager and agent 000 on its worker thread
 * (link/port-link.ts), over a real MessageChannel: frames keep their order both ways, a turn's
 * frames travel together, and a close on either side reaches the other.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { connectPortAgentSide, connectPortManagerSide } from '../../src/link/port-link.js';
import { connectInProcess } from '../../src/link/in-process-link.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import type { LinkHandler } from '../../src/manager/link-handler.js';
import type { AgentFrame, ManagerFrame } from '../../src/protocol/link.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';

/** A link handler that records what it is told. */
function recordingHandler() {
  const events: string[] = [];
  const frames: AgentFrame[] = [];
  let session: AgentSession | undefined;
  const handler: LinkHandler = {
    authenticate: () => Promise.reject(new Error('not used')),
    opened: (id, s) => {
      session = s;
      events.push(`opened ${id}`);
    },
    frame: (id, _s, f) => {
      frames.push(f);
      events.push(`frame ${id} ${f.type}`);
    },
    seen: () => undefined,
    closed: (id) => {
      events.push(`closed ${id}`);
    },
    drain: () => Promise.resolve(),
  };
  return { handler, events, frames, session: () => session };
}

/** An agent side that says hello and records the frames it gets. */
function recordingAgent() {
  const got: ManagerFrame[] = [];
  let send: ((f: AgentFrame) => void) | undefined;
  let disconnected = 0;
  return {
    got,
    disconnectedCount: () => disconnected,
    send: (f: AgentFrame) => send?.(f),
    agent: {
      connected: (s: (f: AgentFrame) => void) => {
        send = s;
        s({ type: 'hello', version: 't', lastOrderSeq: 0, disabled: false });
      },
      onFrame: (f: ManagerFrame) => {
        got.push(f);
      },
      disconnected: () => {
        disconnected++;
        send = undefined;
      },
    },
  };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setImmediate(r));
  }
}

function order(seq: number): ManagerFrame {
  return { type: 'order', seq, kind: 'add', message: `{"seq":${seq}}` };
}

describe('port link (agent 000 on a worker thread)', () => {
  test('hello reaches the handler after opened; frames keep their order both ways', async () => {
    const ch = new MessageChannel();
    const m = recordingHandler();
    const a = recordingAgent();
    const mgr = connectPortManagerSide(m.handler, '000', ch.port1);
    const agt = connectPortAgentSide(a.agent, ch.port2);
    await until('hello', () => m.frames.length === 1);
    assert.deepEqual(m.events, ['opened 000', 'frame 000 hello']);
    const session = m.session();
    assert.ok(session !== undefined);
    assert.equal(session.address, 'local');
    for (let seq = 1; seq <= 1000; seq++) {
      session.send(order(seq));
    }
    await until('1000 orders', () => a.got.length === 1000);
    assert.deepEqual(
      a.got.map((f) => (f.type === 'order' ? f.seq : 0)),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    for (let seq = 1; seq <= 1000; seq++) {
      a.send({ type: 'ack', seq });
    }
    await until('1000 acks', () => m.frames.length === 1001);
    assert.deepEqual(
      m.frames.slice(1).map((f) => (f.type === 'ack' ? f.seq : 0)),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    agt.close();
    mgr.close();
    ch.port1.close();
  });

  test('the manager closing the session disconnects the agent; the agent closing it closes the session', async () => {
    const ch = new MessageChannel();
    const m = recordingHandler();
    const a = recordingAgent();
    connectPortManagerSide(m.handler, '000', ch.port1);
    connectPortAgentSide(a.agent, ch.port2);
    await until('hello', () => m.frames.length === 1);
    m.session()?.close(4400, 'test');
    assert.deepEqual(m.events.slice(-1), ['closed 000']);
    await until('agent disconnected', () => a.disconnectedCount() === 1);
    ch.port1.close();

    const ch2 = new MessageChannel();
    const m2 = recordingHandler();
    const a2 = recordingAgent();
    connectPortManagerSide(m2.handler, '000', ch2.port1);
    const agt2 = connectPortAgentSide(a2.agent, ch2.port2);
    await until('hello', () => m2.frames.length === 1);
    agt2.close();
    assert.equal(a2.disconnectedCount(), 1);
    await until('session closed', () => m2.events.includes('closed 000'));
    ch2.port1.close();
  });

  test('asked to reconnect (its frames could not be stored): a new session, old frames dropped, a new hello', async () => {
    const ch = new MessageChannel();
    const m = recordingHandler();
    const a = recordingAgent();
    const mgr = connectPortManagerSide(m.handler, '000', ch.port1);
    const agt = connectPortAgentSide(a.agent, ch.port2, 20);
    await until('hello', () => m.frames.length === 1);
    const first = m.session();
    a.send({ type: 'ack', seq: 1 }); // on its way when the manager asks
    first?.retry?.();
    assert.deepEqual(m.events.slice(-2), ['closed 000', 'opened 000'], 'a new session at once');
    await until('the new hello', () => m.frames.length === 2);
    assert.deepEqual(
      m.frames.map((f) => f.type),
      ['hello', 'hello'],
      "the old session's ack was dropped, not applied to the new one",
    );
    assert.equal(a.disconnectedCount(), 1);
    assert.notEqual(m.session(), first);
    m.session()?.send(order(7));
    await until('an order on the new session', () => a.got.some((f) => f.type === 'order' && f.seq === 7));
    agt.close();
    mgr.close();
    ch.port1.close();
  });
});

describe('in-process link (agent 000 in the manager thread)', () => {
  test('asked to reconnect: the session ends, then a new one starts with a new hello', async () => {
    const m = recordingHandler();
    const a = recordingAgent();
    const link = connectInProcess(m.handler, '000', a.agent, { retryMs: 20 });
    await until('hello', () => m.frames.length === 1);
    const first = m.session();
    a.send({ type: 'ack', seq: 1 }); // on its way when the manager asks
    first?.retry?.();
    assert.deepEqual(m.events.slice(-1), ['closed 000']);
    assert.equal(a.disconnectedCount(), 1);
    await until('the new hello', () => m.frames.length === 2);
    assert.deepEqual(
      m.frames.map((f) => f.type),
      ['hello', 'hello'],
      'the ack of the old session was dropped',
    );
    assert.deepEqual(m.events.slice(-2), ['opened 000', 'frame 000 hello']);
    link.close();
    assert.equal(a.disconnectedCount(), 2);
  });
});

/**
 * An agent side whose store fails: its onFrame throws on the first frame it gets, and it keeps the
 * transport's `end` (what a failing report run calls).
 */
function failingAgent() {
  const a = recordingAgent();
  let end: (() => void) | undefined;
  let failed = false;
  return {
    ...a,
    end: () => end?.(),
    agent: {
      ...a.agent,
      connected: (s: (f: AgentFrame) => void, _unsent?: () => number, e?: () => void) => {
        end = e;
        a.agent.connected(s);
      },
      onFrame: (f: ManagerFrame) => {
        if (!failed) {
          failed = true;
          throw new Error('SQLITE_IOERR: disk I/O error');
        }
        a.agent.onFrame(f);
      },
    },
  };
}

describe('agent 000 whose store fails: the session ends and starts again, nothing thrown', () => {
  test('in process: a frame it cannot take in, then a report run that fails', async () => {
    const m = recordingHandler();
    const a = failingAgent();
    const log = memoryDaemonLog();
    const link = connectInProcess(m.handler, '000', a.agent, { retryMs: 20, log });
    await until('hello', () => m.frames.length === 1);
    m.session()?.send(order(1)); // thrown by the agent: logged, a new session
    await until('the second hello', () => m.frames.length === 2);
    assert.equal(a.disconnectedCount(), 1);
    assert.match(log.lines[0]?.msg ?? '', /could not take in a 'order' frame: SQLITE_IOERR/);
    a.end(); // a report run that failed
    await until('the third hello', () => m.frames.length === 3);
    assert.equal(a.disconnectedCount(), 2);
    m.session()?.send(order(2));
    await until('an order on the new session', () => a.got.some((f) => f.type === 'order'));
    link.close();
  });

  test('on a port: a frame it cannot take in, then a report run that fails', async () => {
    const ch = new MessageChannel();
    const m = recordingHandler();
    const a = failingAgent();
    const log = memoryDaemonLog();
    const mgr = connectPortManagerSide(m.handler, '000', ch.port1);
    const agt = connectPortAgentSide(a.agent, ch.port2, 20, log);
    await until('hello', () => m.frames.length === 1);
    m.session()?.send(order(1));
    await until('the second hello', () => m.frames.length === 2);
    assert.equal(a.disconnectedCount(), 1);
    assert.match(log.lines[0]?.msg ?? '', /could not take in a 'order' frame: SQLITE_IOERR/);
    a.end();
    await until('the third hello', () => m.frames.length === 3);
    assert.equal(a.disconnectedCount(), 2);
    m.session()?.send(order(2));
    await until('an order on the new session', () => a.got.some((f) => f.type === 'order'));
    agt.close();
    mgr.close();
    ch.port1.close();
  });
});
