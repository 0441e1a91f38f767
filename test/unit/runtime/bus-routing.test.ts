/**
 * A cluster node's side of the bus routes (src/runtime/bus-routing.ts) with a recording bus, the
 * real AgentSessions and a fake clock: hand-offs go to the node that holds the agent once it is
 * known and while it is heard from, to every node otherwise; an order routed here for an agent not
 * here is sent on to every node and the route released; an order sent to every node that finds its
 * agent here is announced (once per period); hellos and closes are announced once per turn, the
 * last event of an agent winning; the node says it is alive; a resync forgets and re-announces;
 * another node saying it holds an agent held here probes the link here; the agents greeted
 * before the routing watched the sessions (the link server listens before the node's bus is
 * attached) are announced when it starts to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusRouting, REPLY_EVERY_MS } from '../../../src/runtime/bus-routing.js';
import { ALIVE_EVERY_MS, NODE_SILENT_MS } from '../../../src/cluster/bus-routes.js';
import type { BusOrder, OrderBus, RouteChange } from '../../../src/cluster/order-bus.js';
import { AgentSessions, type AgentSession } from '../../../src/manager/agent-sessions.js';

const OTHER = 'node-b';

class RecordingBus implements OrderBus {
  readonly kind = 'test';
  readonly node = 'node-a';
  readonly published: { to: string | undefined; ids: string[] }[] = [];
  readonly announced: RouteChange[] = [];
  /** Delivers nothing: the tests call BusRouting's handlers directly. */
  start(): Promise<void> {
    return Promise.resolve();
  }
  publish(orders: readonly BusOrder[], to?: string): void {
    this.published.push({ to, ids: orders.map((o) => `${o.agentId}#${o.seq}`) });
  }
  announce(change: RouteChange): void {
    this.announced.push(change);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const order = (agentId: string, seq = 1): BusOrder => ({ agentId, seq, kind: 'add', payload: '{}' });
const session = (): AgentSession => ({ send: () => undefined, close: () => undefined, address: '127.0.0.1' });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Setup {
  readonly bus: RecordingBus;
  readonly routing: BusRouting;
  readonly sessions: AgentSessions;
  readonly errors: unknown[];
  readonly clock: { now: number };
}

/** `sessions`: the node's before its bus was attached (the routing watches them from here). */
function setup(sessions = new AgentSessions()): Setup {
  const bus = new RecordingBus();
  const errors: unknown[] = [];
  const clock = { now: 1_000 };
  const routing = new BusRouting({
    bus,
    // Delivery as the cluster node does it: to the agents whose hello arrived here.
    deliver: (orders) => Promise.resolve(orders.filter((o) => !sessions.accepts(o.agentId))),
    holds: (id) => sessions.accepts(id),
    probe: (id) => {
      sessions.probe(id);
    },
    now: () => clock.now,
    onError: (err) => errors.push(err),
  });
  sessions.setWatch(routing);
  return { bus, routing, sessions, errors, clock };
}

/** An agent whose hello arrived here, its announcement taken out of the record. */
async function held(t: Setup, agentId: string, s = session()): Promise<AgentSession> {
  t.sessions.attach(agentId, s);
  t.sessions.markGreeting(agentId);
  t.sessions.markReady(agentId);
  await turn();
  t.bus.announced.length = 0;
  return s;
}

test('hand-offs go to every node until the holder is known, then to it alone', () => {
  const { bus, routing } = setup();
  routing.handOff([order('001'), order('002')]);
  routing.learned(OTHER, { held: ['001'], released: [] });
  routing.handOff([order('001', 2), order('002', 2)]);
  routing.learned(OTHER, { held: [], released: ['001'] });
  routing.handOff([order('001', 3)]);
  assert.deepEqual(bus.published, [
    { to: undefined, ids: ['001#1', '002#1'] },
    { to: OTHER, ids: ['001#2'] },
    { to: undefined, ids: ['002#2'] },
    { to: undefined, ids: ['001#3'] },
  ]);
  assert.deepEqual(routing.traffic(), { routed: 0, broadcast: 0, forwarded: 0, routes: 0 });
});

test('a holder silent for NODE_SILENT_MS is taken for gone; it is routed to again once heard', () => {
  const t = setup();
  t.routing.learned(OTHER, { held: ['001'], released: [] });
  t.clock.now += NODE_SILENT_MS;
  t.routing.handOff([order('001')]);
  t.routing.received([order('009')], false, OTHER); // anything from it says it is alive
  t.routing.handOff([order('001', 2)]);
  assert.deepEqual(t.bus.published, [
    { to: undefined, ids: ['001#1'] },
    { to: OTHER, ids: ['001#2'] },
  ]);
});

test('routed here for an agent not here: on to every node and the route released; found here: announced once per period', async () => {
  const t = setup();
  await held(t, '001');
  t.routing.received([order('001'), order('009')], true, OTHER);
  await turn();
  assert.deepEqual(t.bus.published, [{ to: undefined, ids: ['009#1'] }]);
  assert.deepEqual(t.bus.announced, [{ held: [], released: ['009'] }]);
  t.bus.announced.length = 0;
  // 001's hello was announced just now: an order for it sent to every node adds nothing yet.
  t.routing.received([order('001', 2), order('008')], false, OTHER);
  await turn();
  assert.deepEqual(t.bus.announced, []);
  t.clock.now += REPLY_EVERY_MS;
  t.routing.received([order('001', 3), order('001', 4)], false, OTHER);
  await turn();
  assert.deepEqual(t.bus.announced, [{ held: ['001'], released: [] }]);
  assert.equal(t.bus.published.length, 1, 'what was sent to every node is never sent again');
  assert.deepEqual(t.routing.traffic(), { routed: 2, broadcast: 4, forwarded: 1, routes: 0 });
  assert.deepEqual(t.errors, []);
});

test('an agent whose link closed while its order was delivered is not announced as held', async () => {
  const t = setup();
  const s = await held(t, '001');
  t.clock.now += REPLY_EVERY_MS;
  // Delivery checks first; the link closes before the reply is made (a store read in between).
  t.routing.received([order('001')], false, OTHER);
  t.sessions.detach('001', s);
  await turn();
  assert.deepEqual(t.bus.announced, [{ held: [], released: ['001'] }]);
});

test('hellos and closes: announced once per turn, the last event of an agent winning', async () => {
  const { bus, sessions } = setup();
  const one = session();
  sessions.attach('001', one);
  sessions.attach('002', session());
  sessions.attach('003', session());
  await turn();
  assert.deepEqual(bus.announced, [], 'connected, no hello yet: not announced');
  sessions.markGreeting('001');
  sessions.markGreeting('002');
  sessions.markGreeting('002'); // a second hello on the same session: once
  await turn();
  assert.deepEqual(bus.announced, [{ held: ['001', '002'], released: [] }]);
  sessions.markReady('001');
  sessions.detach('001', one);
  sessions.close('002', 1000, 'bye');
  sessions.close('003', 1000, 'bye'); // never said hello: nothing to release
  sessions.attach('004', session());
  sessions.markGreeting('004');
  sessions.attach('004', session()); // replaced before its hello was done: released until the next one
  await turn();
  assert.deepEqual(bus.announced.slice(1), [{ held: [], released: ['001', '002', '004'] }]);
});

test("alive every ALIVE_EVERY_MS (an announcement counts); after this node's bus was down, routes forgotten and the held agents announced again", async () => {
  const t = setup();
  t.routing.tick();
  t.routing.tick();
  assert.deepEqual(t.bus.announced, [{ held: [], released: [] }]);
  t.clock.now += ALIVE_EVERY_MS - 1;
  await held(t, '001'); // its announcement says alive too
  t.clock.now += ALIVE_EVERY_MS - 1;
  t.routing.tick();
  assert.deepEqual(t.bus.announced, []);
  t.clock.now += 1;
  t.routing.tick();
  assert.deepEqual(t.bus.announced, [{ held: [], released: [] }]);
  t.routing.learned(OTHER, { held: ['002', '003'], released: [] });
  assert.equal(t.routing.traffic().routes, 2);
  t.routing.resynced(['001']);
  await turn();
  assert.equal(t.routing.traffic().routes, 0);
  assert.deepEqual(t.bus.announced.slice(1), [{ held: ['001'], released: [] }]);
  t.routing.handOff([order('002')]);
  assert.deepEqual(t.bus.published, [{ to: undefined, ids: ['002#1'] }]);
});

test('another node says it holds an agent held here: the link here is probed, and only then', async () => {
  const t = setup();
  const probes: string[] = [];
  const probed = (id: string): AgentSession => ({ ...session(), probe: () => probes.push(id) });
  const first = await held(t, '001', probed('001'));
  await held(t, '002', probed('002'));
  t.routing.learned(OTHER, { held: ['001', '003'], released: ['002'] });
  assert.deepEqual(probes, ['001'], 'held there and here: 001 only (003 is not here, 002 was released)');
  t.sessions.detach('001', first);
  t.routing.learned(OTHER, { held: ['001'], released: [] });
  assert.deepEqual(probes, ['001'], 'no link here any more: nothing to probe');
});

test('the agents greeted before the bus was attached are announced once the routing watches the sessions', async () => {
  const sessions = new AgentSessions();
  sessions.attach('001', session());
  sessions.markGreeting('001');
  sessions.markReady('001');
  sessions.attach('002', session());
  sessions.markGreeting('002'); // its hello being applied: it takes orders already (held)
  sessions.attach('003', session()); // connected, no hello yet: not held
  const t = setup(sessions);
  await turn();
  assert.deepEqual(t.bus.announced, [{ held: ['001', '002'], released: [] }]);
});
