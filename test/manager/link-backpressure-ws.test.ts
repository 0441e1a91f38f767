/**
 * Backpressure over a real link (TLS WebSocket on loopback, link-server.ts + ws-reading.ts): with
 * every store batch held, an agent sending 10 MiB of reports is read up to its 4 MiB mark and no
 * further (the rest waits on its side), and is not dropped for the pongs the manager does not read
 * meanwhile (heartbeats go on past the dead-peer limit); once the store answers, every report
 * arrives and is applied in order, the socket read again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { createLinkServer } from '../../src/link/link-server.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import { DEFAULT_BACKLOG_MARKS } from '../../src/manager/frame-backlog.js';
import type { LinkHandler } from '../../src/manager/link-handler.js';
import { ensureManagerPki, fingerprintOf, issueAgentCert, type KeyPairPem } from '../../src/pki/pki.js';
import { LINK_PATH } from '../../src/protocol/link.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';
import { executionFrame, executionIds, holdBatches } from './support/backpressure.js';
import { waitFor } from './support/fleet.js';

/** `inner` as the link server sees it, counting the frames it read and the reading switches. */
function spied(inner: LinkHandler): { handler: LinkHandler; frames: () => number; reading: boolean[] } {
  const reading: boolean[] = [];
  let frames = 0;
  const wrapped = new WeakMap<AgentSession, AgentSession>();
  const wrap = (s: AgentSession): AgentSession => {
    const w = wrapped.get(s) ?? {
      address: s.address,
      send: (f) => {
        s.send(f);
      },
      close: (code, reason) => {
        s.close(code, reason);
      },
      setReading: (on) => {
        reading.push(on);
        s.setReading?.(on);
      },
    };
    wrapped.set(s, w);
    return w;
  };
  const handler: LinkHandler = {
    authenticate: (fingerprint) => inner.authenticate(fingerprint),
    opened: (agentId, s) => {
      inner.opened(agentId, wrap(s));
    },
    frame: (agentId, s, frame, bytes) => {
      frames++;
      inner.frame(agentId, wrap(s), frame, bytes);
    },
    seen: (agentId) => {
      inner.seen(agentId);
    },
    closed: (agentId, s) => {
      inner.closed(agentId, wrap(s));
    },
    drain: () => inner.drain(),
  };
  return { handler, frames: () => frames, reading };
}

async function dial(port: number, ca: string, creds: KeyPairPem): Promise<WebSocket> {
  const options: WebSocket.ClientOptions & ConnectionOptions = { ca, cert: creds.cert, key: creds.key };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const ws = new WebSocket(`wss://127.0.0.1:${port}${LINK_PATH}`, options);
  ws.on('error', () => undefined);
  await new Promise((resolve) => ws.once('open', resolve));
  return ws;
}

const REPORTS = 40;
const TAIL = 'x'.repeat(256 * 1024);

test('a real link: the socket is not read past the mark while the store is held, then all arrive', async () => {
  await withManagerHost('riposte-link-backpressure-ws-', async (host) => {
    const pki = await ensureManagerPki(join(host.home, 'pki'), Date.now());
    const creds = await issueAgentCert(pki.ca, '001', Date.now());
    await host.store.insertAgent(agentRecord('001', { fingerprint: fingerprintOf(creds.cert) }));
    const applied = executionIds(host);
    const held = holdBatches(host);
    const spy = spied(host.handler);
    const server = createLinkServer({
      pki,
      handler: spy.handler,
      enroll: () => Promise.reject(new Error('not in this test')),
      heartbeatMs: 100,
      deadAfterMs: 2_000,
    });
    const { port } = await server.listen('127.0.0.1', 0);
    const ws = await dial(port, pki.ca.cert, creds);
    try {
      let pings = 0;
      ws.on('ping', () => pings++);
      ws.send(JSON.stringify({ type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false }));
      await held.entered; // the hello's batch waits: the reports below wait in the queue
      const texts = Array.from({ length: REPORTS }, (_, i) => JSON.stringify(executionFrame(i + 1, TAIL)));
      for (const text of texts) {
        ws.send(text);
        await new Promise((resolve) => setImmediate(resolve)); // the manager's timers run meanwhile
      }
      await waitFor('reading paused', 20_000, () => spy.reading[0] === false || undefined);
      const since = pings;
      await waitFor('heartbeats past the dead-peer limit', 20_000, () => {
        assert.equal(ws.readyState, WebSocket.OPEN, 'not dropped for its unread pongs');
        return pings - since >= 25 || undefined;
      });
      // ws may finish the chunk it was reading when paused: less than one of these frames.
      const bound = 1 + Math.ceil(DEFAULT_BACKLOG_MARKS.sessionBytes / (texts[0]?.length ?? 1)) + 1;
      assert.ok(spy.frames() <= bound, `read ${spy.frames()} frames while paused (bound ${bound})`);
      assert.equal(applied.get('001'), undefined);
      held.release();
      await waitFor(
        'every report applied',
        60_000,
        () => applied.get('001')?.length === REPORTS || undefined,
      );
      assert.deepEqual(
        applied.get('001'),
        Array.from({ length: REPORTS }, (_, i) => i + 1),
      );
      assert.equal(spy.frames(), 1 + REPORTS);
      assert.equal(spy.reading.at(-1), true, 'read again');
      assert.equal(ws.readyState, WebSocket.OPEN);
    } finally {
      held.release();
      ws.close();
      await server.close();
      await host.handler.drain();
    }
  });
});
