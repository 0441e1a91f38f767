/**
 * A cluster node's side of the bus routes (src/runtime/bus-routing.ts) with a recording bus and
 * the real AgentSessions: hand-offs go to the node that holds the agent once it is known, to every
 * node before; an order routed here for an agent not here is sent on to every node; an order sent
 * to every node that finds its agent here is announced; hellos and closes are announced once per
 * turn, the last event of an agent winning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusRouting } from '../../../src/runtime/bus-routing.js';
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

function setup(): { bus: RecordingBus; routing: BusRouting; sessions: AgentSessions; errors: unknown[] } {
  const bus = new RecordingBus();
  const sessions = new AgentSessions();
  const errors: unknown[] = [];
  // Delivery as the cluster node does it: to the agents whose hello arrived here.
  const deliver = (orders: readonly BusOrder[]): Promise<BusOrder[]> =>
    Promise.resolve(orders.filter((o) => !sessions.accepts(o.agentId)));
  const routing = new BusRouting(bus, deliver, (err) => errors.push(err));
  sessions.setWatch(routing);
  return { bus, routing, sessions, errors };
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

test('routed here for an agent not here: sent on to every node; for every node and found here: announced', async () => {
  const { bus, routing, sessions, errors } = setup();
  const s = session();
  sessions.attach('001', s);
  sessions.markGreeting('001');
  sessions.markReady('001');
  await turn();
  bus.announced.length = 0; // the hello's own announcement (next test)
  routing.received([order('001'), order('009')], true);
  await turn();
  assert.deepEqual(bus.published, [{ to: undefined, ids: ['009#1'] }]);
  assert.deepEqual(bus.announced, []);
  routing.received([order('001', 2), order('008')], false);
  await turn();
  assert.deepEqual(bus.published.length, 1, 'what was sent to every node is never sent again');
  assert.deepEqual(bus.announced, [{ held: ['001'], released: [] }]);
  assert.deepEqual(routing.traffic(), { routed: 2, broadcast: 2, forwarded: 1, routes: 0 });
  assert.deepEqual(errors, []);
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

test("this node's bus was down: its routes are forgotten, orders go to every node again", () => {
  const { bus, routing } = setup();
  routing.learned(OTHER, { held: ['001', '002'], released: [] });
  assert.equal(routing.traffic().routes, 2);
  routing.forget();
  routing.handOff([order('001')]);
  assert.deepEqual(bus.published, [{ to: undefined, ids: ['001#1'] }]);
  assert.equal(routing.traffic().routes, 0);
});
