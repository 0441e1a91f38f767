/**
 * A probe over a real link (TLS WebSocket on loopback, link-server.ts): an agent whose link is
 * probed (AgentSession.probe, asked when another cluster node says it holds the agent) and that
 * does not answer the ping is dropped within PROBE_ANSWER_MS and a heartbeat, far inside the
 * dead-peer limit (60 s here), and the manager's log says why; an agent that answers stays linked.
 * And the heartbeat over a real link: a link busy both ways (frames from the agent, frames to it)
 * is not pinged, while a quiet one is (heartbeat.ts needsPing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { createLinkServer, type LinkServer } from '../../src/link/link-server.js';
import { PROBE_ANSWER_MS } from '../../src/link/peer-liveness.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import type { LinkHandler } from '../../src/manager/link-handler.js';
import { ensureManagerPki, fingerprintOf, issueAgentCert, type KeyPairPem } from '../../src/pki/pki.js';
import { LINK_PATH, encodeFrame } from '../../src/protocol/link.js';
import type { ManagerHost } from '../../src/runtime/manager-host.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';
import { waitFor } from './support/fleet.js';

const DEAD_AFTER_MS = 60_000;

/** `inner`, keeping the last session the link server opened for each agent. */
function keepingSessions(inner: LinkHandler): { handler: LinkHandler; sessions: Map<string, AgentSession> } {
  const sessions = new Map<string, AgentSession>();
  const handler: LinkHandler = {
    authenticate: (fingerprint) => inner.authenticate(fingerprint),
    opened: (agentId, s) => {
      sessions.set(agentId, s);
      inner.opened(agentId, s);
    },
    frame: (agentId, s, frame, bytes) => {
      inner.frame(agentId, s, frame, bytes);
    },
    seen: (agentId) => {
      inner.seen(agentId);
    },
    closed: (agentId, s) => {
      inner.closed(agentId, s);
    },
    drain: () => inner.drain(),
  };
  return { handler, sessions };
}

async function dial(port: number, ca: string, creds: KeyPairPem, autoPong: boolean): Promise<WebSocket> {
  const options: WebSocket.ClientOptions & ConnectionOptions = {
    ca,
    cert: creds.cert,
    key: creds.key,
    autoPong,
  };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const ws = new WebSocket(`wss://127.0.0.1:${port}${LINK_PATH}`, options);
  ws.on('error', () => undefined);
  await new Promise((resolve) => ws.once('open', resolve));
  return ws;
}

interface Linked {
  readonly ws: WebSocket;
  readonly session: AgentSession;
  /** When the client saw its link close (epoch ms), undefined while open. */
  readonly closedAt: () => number | undefined;
}

async function linkAgent(
  host: ManagerHost,
  server: { port: number; ca: string; sessions: Map<string, AgentSession> },
  agentId: string,
  autoPong: boolean,
): Promise<Linked> {
  const pki = await ensureManagerPki(join(host.home, 'pki'), Date.now());
  const creds = await issueAgentCert(pki.ca, agentId, Date.now());
  await host.store.insertAgent(agentRecord(agentId, { fingerprint: fingerprintOf(creds.cert) }));
  const ws = await dial(server.port, server.ca, creds, autoPong);
  let closedAt: number | undefined;
  ws.once('close', () => {
    closedAt = Date.now();
  });
  const session = await waitFor(`${agentId}'s session`, 10_000, () => server.sessions.get(agentId));
  return { ws, session, closedAt: () => closedAt };
}

test('a probed link that does not answer is dropped within seconds; one that answers stays', async () => {
  await withManagerHost('riposte-link-probe-ws-', async (host) => {
    const pki = await ensureManagerPki(join(host.home, 'pki'), Date.now());
    const kept = keepingSessions(host.handler);
    const warnings: string[] = [];
    const server: LinkServer = createLinkServer({
      pki,
      handler: kept.handler,
      log: { warn: (m) => warnings.push(m) },
      enroll: () => Promise.reject(new Error('not in this test')),
      heartbeatMs: 100,
      deadAfterMs: DEAD_AFTER_MS,
    });
    const { port } = await server.listen('127.0.0.1', 0);
    const at = { port, ca: pki.ca.cert, sessions: kept.sessions };
    const silent = await linkAgent(host, at, '001', false); // a half-open link: no pong ever comes
    const alive = await linkAgent(host, at, '002', true);
    try {
      const t0 = Date.now();
      silent.session.probe?.();
      alive.session.probe?.();
      // Without the probe it would stay linked until the dead-peer limit, twice this wait.
      const waited =
        (await waitFor('the unanswered probe to drop the link', DEAD_AFTER_MS / 2, silent.closedAt)) - t0;
      assert.ok(
        waited >= PROBE_ANSWER_MS,
        `dropped after ${waited} ms, before the probe's ${PROBE_ANSWER_MS} ms`,
      );
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(
        warnings[0] ?? '',
        /^Agent 001: link dropped \(no pong or frame within \d+ s of a probe\)\.$/,
      );
      // The answering agent outlived the silent one's whole window, and heartbeats go on.
      let pings = 0;
      alive.ws.on('ping', () => pings++);
      await waitFor('heartbeats after the probe', 10_000, () => (pings >= 3 ? true : undefined));
      assert.equal(alive.ws.readyState, WebSocket.OPEN, 'the agent that answered stays linked');
    } finally {
      silent.ws.terminate();
      alive.ws.close();
      await server.close();
      await host.handler.drain();
    }
  });
});

test('a link busy both ways is not pinged; a quiet one is', async () => {
  await withManagerHost('riposte-link-busy-ws-', async (host) => {
    const pki = await ensureManagerPki(join(host.home, 'pki'), Date.now());
    const kept = keepingSessions(host.handler);
    const server: LinkServer = createLinkServer({
      pki,
      handler: kept.handler,
      enroll: () => Promise.reject(new Error('not in this test')),
      heartbeatMs: 1_000, // 4 turns of 250 ms; a busy link must have been sent to within 500 ms
      deadAfterMs: DEAD_AFTER_MS,
    });
    const { port } = await server.listen('127.0.0.1', 0);
    const at = { port, ca: pki.ca.cert, sessions: kept.sessions };
    const busy = await linkAgent(host, at, '001', true);
    const quiet = await linkAgent(host, at, '002', true);
    try {
      const pings = { busy: 0, quiet: 0 };
      busy.ws.on('ping', () => pings.busy++);
      quiet.ws.on('ping', () => pings.quiet++);
      busy.ws.send(encodeFrame({ type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false }));
      // For 6 s (six periods): every 100 ms a frame each way (an ack of a seq never ordered,
      // which the manager takes and finds nothing to move; a revert order the test client ignores).
      const end = Date.now() + 6_000;
      for (let seq = 1; Date.now() < end; seq++) {
        busy.ws.send(encodeFrame({ type: 'ack', seq: 1_000_000 + seq }));
        busy.session.send({ type: 'order', seq: 1_000_000 + seq, kind: 'revert', key: 'test' });
        await new Promise((r) => setTimeout(r, 100));
      }
      // The quiet link had its turn each period (a loaded machine may delay a tick, so at least 3
      // of 6); the busy one none, but perhaps its first before the traffic, or one after a stall.
      assert.ok(pings.quiet >= 3, `the quiet link got ${pings.quiet} pings in 6 s`);
      assert.ok(pings.busy <= 2, `the busy link got ${pings.busy} pings in 6 s`);
      assert.equal(busy.ws.readyState, WebSocket.OPEN);
    } finally {
      busy.ws.close();
      quiet.ws.close();
      await server.close();
      await host.handler.drain();
    }
  });
});
