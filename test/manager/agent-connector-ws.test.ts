/**
 * The agent's connector (agent-connector.ts) on a real TLS WebSocket on loopback, against a
 * manager stand-in:
 *
 * - a node that accepts the link and closes it with 1013 after the hello (its store is down) is a
 *   failed dial: the backoff grows from one redial to the next, and only a welcome starts it again
 *   (seen in the delays the connector logs, with a fixed `random`: no wall-time counting);
 * - any frame from the manager is a sign of life, not only its pings: a link on which frames
 *   arrive but no ping (a long --heartbeat) is kept past the dead-link limit, and dropped once
 *   nothing arrives for that long.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import type { Execd } from '../../src/agent/execd/execd.js';
import { startAgentConnector, type AgentConnectorOptions } from '../../src/link/agent-connector.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { LinkClose, type ManagerFrame } from '../../src/protocol/link.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { enrolledAgentHome, standInPki, standInServer, type StandInPki } from '../support/link-stand-in.js';
import { waitFor } from './support/fleet.js';

/** What the stand-in does with a connection once the agent's hello arrived (`n`: 1 for the first). */
type OnHello = (ws: WebSocket, n: number) => void;

const WELCOME: ManagerFrame = {
  type: 'welcome',
  agentId: '001',
  lastExecutionId: 0,
  arConf: '',
  batches: true,
};

/** A manager stand-in on loopback: counts connections and closes, and answers each hello. */
async function standInManager(pki: StandInPki, onHello: OnHello) {
  const standIn = standInServer(pki);
  const seen = { connections: 0, closes: 0 };
  standIn.wss.on('connection', (ws) => {
    const n = ++seen.connections;
    ws.once('message', () => {
      onHello(ws, n);
    });
    ws.on('close', () => {
      seen.closes++;
    });
  });
  return { port: await standIn.listen(), seen, close: () => standIn.close() };
}

/**
 * An enrolled agent home pointed at a stand-in, and its connector with `opts`, on a fake execd
 * whose runs never end (an order stays running: its redeliveries are no-ops).
 */
async function agentOf(onHello: OnHello, opts: AgentConnectorOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-agent-connector-ws-'));
  const pki = await standInPki(dir);
  const manager = await standInManager(pki, onHello);
  const home = await enrolledAgentHome(dir, pki, manager.port);
  const store = tempAgentStore();
  const log = memoryDaemonLog();
  const execd = {
    submit: () => new Promise<never>(() => undefined),
    revert: () => Promise.resolve(undefined),
    listActive: () => [],
  } as unknown as Execd;
  const connector = startAgentConnector({ execd, store, log }, home, opts);
  assert.ok(connector !== undefined);
  return {
    manager,
    log,
    stop: async () => {
      await connector.stop();
      await manager.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The redial delays the connector logged, in order ("... trying URL in N ms."). */
function redialDelays(log: ReturnType<typeof memoryDaemonLog>): number[] {
  return log.lines.flatMap(({ msg }) => {
    const m = /^Manager link closed \(1013.*; trying \S+ in (\d+) ms\.$/.exec(msg);
    return m === null ? [] : [Number(m[1])];
  });
}

test('a node that closes with 1013 after the hello: the backoff grows; a welcome starts it again', async () => {
  // Links 1-3 and 5 closed after their hello, link 4 after its welcome.
  const agent = await agentOf(
    (ws, n) => {
      if (n === 4) {
        ws.send(JSON.stringify(WELCOME));
      }
      ws.close(LinkClose.RETRY, 'the manager could not store this agent’s frames');
    },
    // The top of each round's range (random ~1): 39, 79, 159, ... ms for rounds 0, 1, 2, ...
    { minBackoffMs: 40, maxBackoffMs: 60_000, random: () => 0.999, deadAfterMs: 120_000 },
  );
  try {
    const delays = await waitFor('five redials', 60_000, () => {
      const d = redialDelays(agent.log);
      return d.length >= 5 ? d.slice(0, 5) : undefined;
    });
    assert.deepEqual(delays, [39, 79, 159, 39, 79], `redial delays ${delays.join(', ')} ms`);
  } finally {
    await agent.stop();
  }
});

test('frames from the manager keep a link that sees no ping; silence still drops it', async () => {
  // Generous against a busy machine: a drop needs the frames stalled for 5 s (one every 200 ms).
  const deadAfterMs = 5_000;
  const every = 200;
  let sending: NodeJS.Timeout | undefined;
  let frames = 0;
  let firstAt = 0;
  const agent = await agentOf(
    (ws, n) => {
      if (n > 1) {
        return; // the redial after the silent link was dropped
      }
      ws.send(JSON.stringify(WELCOME));
      firstAt = performance.now();
      // An order the agent runs, then its redeliveries (no-ops while it runs); never a ping.
      sending = setInterval(() => {
        frames++;
        ws.send(JSON.stringify({ type: 'order', seq: 1, kind: 'add', message: '{}' }));
      }, every);
    },
    { deadAfterMs },
  );
  try {
    // Two whole dead-link limits of frames without a ping, on one link.
    await waitFor('two dead-link limits of frames, or a drop', 60_000, () => {
      const long = frames > 0 && performance.now() - firstAt > 2 * deadAfterMs;
      return long || agent.manager.seen.closes > 0 || undefined;
    });
    assert.equal(agent.manager.seen.closes, 0, `link dropped while frames arrived (${frames} sent)`);
    assert.equal(agent.manager.seen.connections, 1);
    clearInterval(sending);
    await waitFor('the silent link dropped', 60_000, () => agent.manager.seen.closes > 0 || undefined);
  } finally {
    clearInterval(sending);
    await agent.stop();
  }
});
