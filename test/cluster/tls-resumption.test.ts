/**
 * TLS session resumption across the nodes of a cluster (src/pki/ticket-keys.ts): two link servers
 * whose PKI went through the store-sharing start-up (src/cluster/shared-pki.ts, a memory settings
 * store), an agent dialling them the way the agent's connector does (ticketKeepingConnect, its
 * certificate, the pinned CA). A session ticket from node A resumes on node B, and the resumed
 * session still identifies the agent by its certificate; a removed agent is refused on a resumed
 * session too; a ticket of another cluster (another ticket secret) gets a full handshake; the
 * ticket keys change with the epoch; the daily side refresh (ticket-refresh.ts) gets a fresh ticket
 * that resumes on the other node, in the first hour of the next epoch.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { syncSharedEnrollment, TICKET_SECRET_SETTING } from '../../src/cluster/shared-pki.js';
import { createLinkServer, type LinkServer } from '../../src/link/link-server.js';
import { ticketKeepingConnect } from '../../src/link/agent-connector.js';
import type { LinkHandler } from '../../src/manager/link-handler.js';
import {
  ensureManagerPki,
  fingerprintOf,
  issueAgentCert,
  type KeyPairPem,
  type ManagerPki,
} from '../../src/pki/pki.js';
import { TICKET_EPOCH_MS, ticketKeysAt } from '../../src/pki/ticket-keys.js';
import { REFRESH_SPREAD_MS, nextRefreshAt, refreshTicket } from '../../src/link/ticket-refresh.js';
import { LINK_PATH, LinkClose } from '../../src/protocol/link.js';

const root = mkdtempSync(join(tmpdir(), 'riposte-tls-resume-'));

function memoryStore(): {
  getSetting(k: string): Promise<string | undefined>;
  setSetting(k: string, v: string): Promise<void>;
} {
  const m = new Map<string, string>();
  return {
    getSetting: (k) => Promise.resolve(m.get(k)),
    setSetting: (k, v) => {
      m.set(k, v);
      return Promise.resolve();
    },
  };
}

/** The agents a node knows (fingerprint -> id) and which were removed; who connected where. */
const agents = new Map<string, string>();
const removed = new Set<string>();

function handler(opened: string[]): LinkHandler {
  return {
    authenticate(fingerprint) {
      const id = agents.get(fingerprint);
      if (id === undefined) {
        return Promise.resolve({ ok: false, reason: 'unknown agent certificate' });
      }
      return Promise.resolve(
        removed.has(id) ? { ok: false, reason: `agent ${id} was removed` } : { ok: true, agentId: id },
      );
    },
    opened(agentId) {
      opened.push(agentId);
    },
    frame: () => undefined,
    seen: () => undefined,
    closed: () => undefined,
    drain: () => Promise.resolve(),
  };
}

interface Node {
  readonly pki: ManagerPki;
  readonly server: LinkServer;
  readonly port: number;
  readonly opened: string[];
}

async function startNode(pkiDir: string, store: ReturnType<typeof memoryStore>): Promise<Node> {
  await syncSharedEnrollment(store, pkiDir, join(pkiDir, 'authd.pass'), Date.now());
  const pki = await ensureManagerPki(pkiDir, Date.now());
  const opened: string[] = [];
  const server = createLinkServer({
    pki,
    handler: handler(opened),
    enroll: () => Promise.reject(new Error('not in this test')),
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { pki, server, port, opened };
}

interface Dialled {
  /** The close code (1000 when the test closed it after the link opened). */
  readonly code: number;
  readonly resumed: boolean;
  readonly session: Buffer | undefined;
}

/** Dials `node`'s link as the agent's connector does, offering `session`; closes once open. */
function dial(node: Node, creds: KeyPairPem, ca: string, session?: Buffer): Promise<Dialled> {
  let kept: Buffer | undefined;
  let socket: TLSSocket | undefined;
  const options: WebSocket.ClientOptions & ConnectionOptions = {
    ca,
    cert: creds.cert,
    key: creds.key,
    ...(session !== undefined ? { session } : {}),
  };
  (options as ConnectionOptions).checkServerIdentity = () => undefined;
  const connect = ticketKeepingConnect((s) => {
    kept = s;
  });
  options.createConnection = ((o: ConnectionOptions) => {
    socket = connect(o);
    return socket;
  }) as unknown as WebSocket.ClientOptions['createConnection'];
  const ws = new WebSocket(`wss://127.0.0.1:${node.port}${LINK_PATH}`, options);
  return new Promise((resolve, reject) => {
    let resumed = false;
    ws.on('upgrade', () => {
      resumed = socket?.isSessionReused() ?? false; // read while the socket is open
    });
    ws.on('open', () => {
      ws.close(1000);
    });
    ws.on('error', reject);
    ws.on('close', (code) => {
      resolve({ code, resumed, session: kept });
    });
  });
}

let a: Node;
let b: Node;
let agent: KeyPairPem;

before(async () => {
  const store = memoryStore();
  a = await startNode(join(root, 'a'), store);
  b = await startNode(join(root, 'b'), store);
  agent = await issueAgentCert(a.pki.ca, '001', Date.now());
  agents.set(fingerprintOf(agent.cert), '001');
});

after(async () => {
  await Promise.all([a.server.close(), b.server.close()]);
  rmSync(root, { recursive: true, force: true });
});

test('both nodes hold the shared ticket secret (published by the first, adopted by the second)', () => {
  assert.equal(a.pki.ticketSecret, b.pki.ticketSecret);
  assert.match(a.pki.ticketSecret, /^[0-9a-f]{64}$/);
});

test("node A's session ticket resumes on node B, which still identifies the agent by its certificate", async () => {
  const first = await dial(a, agent, a.pki.ca.cert);
  assert.equal(first.code, 1000);
  assert.equal(first.resumed, false);
  assert.ok(first.session, 'node A sent a session ticket');
  assert.deepEqual(a.opened, ['001']);
  const failover = await dial(b, agent, a.pki.ca.cert, first.session);
  assert.equal(failover.resumed, true, 'the handshake on node B was a resumption');
  assert.equal(failover.code, 1000);
  assert.deepEqual(b.opened, ['001'], 'node B mapped the resumed session to agent 001');
});

test('a removed agent is refused on a resumed session too', async () => {
  const first = await dial(a, agent, a.pki.ca.cert);
  removed.add('001');
  try {
    const again = await dial(b, agent, a.pki.ca.cert, first.session);
    assert.equal(again.resumed, true);
    assert.equal(again.code, LinkClose.FORBIDDEN);
  } finally {
    removed.delete('001');
  }
});

test("another cluster's ticket (another secret) is not resumed: a full handshake, the agent still identified", async () => {
  const other = await startNode(join(root, 'other'), memoryStore());
  try {
    const foreignAgent = await issueAgentCert(other.pki.ca, '002', Date.now());
    agents.set(fingerprintOf(foreignAgent.cert), '002');
    const foreign = await dial(other, foreignAgent, other.pki.ca.cert);
    assert.ok(foreign.session);
    // Same CA as node B's cluster is needed to authenticate: the ticket alone gives nothing.
    const onB = await dial(b, agent, a.pki.ca.cert, foreign.session);
    assert.equal(onB.resumed, false);
    assert.equal(onB.code, 1000);
  } finally {
    await other.server.close();
  }
});

test('ticket keys: the same on every node within an epoch, different in the next one', async () => {
  const store = memoryStore();
  await syncSharedEnrollment(store, join(root, 'keys'), join(root, 'keys', 'authd.pass'), Date.now());
  const secret = (await store.getSetting(TICKET_SECRET_SETTING)) ?? '';
  const start = 1000 * TICKET_EPOCH_MS;
  assert.equal(ticketKeysAt(secret, start).length, 48);
  assert.deepEqual(ticketKeysAt(secret, start), ticketKeysAt(secret, start + TICKET_EPOCH_MS - 1));
  assert.notDeepEqual(ticketKeysAt(secret, start), ticketKeysAt(secret, start + TICKET_EPOCH_MS));
});

test('the daily refresh: a side handshake with node A gives a fresh ticket that resumes on node B', async () => {
  const linksBefore = a.opened.length;
  const fresh = await refreshTicket({
    url: `wss://127.0.0.1:${a.port}${LINK_PATH}`,
    ca: a.pki.ca.cert,
    cert: agent.cert,
    key: agent.key,
    checkServerIdentity: () => undefined,
  });
  assert.ok(fresh, 'node A sent a ticket on the side connection');
  assert.equal(a.opened.length, linksBefore, 'the side connection opened no link');
  const onB = await dial(b, agent, a.pki.ca.cert, fresh);
  assert.equal(onB.resumed, true);
  assert.equal(onB.code, 1000);
  // Refreshes come in the first hour of the next epoch, spread by the random draw.
  const now = 5000 * TICKET_EPOCH_MS + 123_456;
  assert.equal(
    nextRefreshAt(now, () => 0),
    5001 * TICKET_EPOCH_MS,
  );
  assert.equal(
    nextRefreshAt(now, () => 0.5),
    5001 * TICKET_EPOCH_MS + REFRESH_SPREAD_MS / 2,
  );
});
