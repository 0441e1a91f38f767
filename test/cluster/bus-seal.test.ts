/**
 * The order bus's seal (src/cluster/bus-seal.ts) on both buses against real servers (a private
 * PostgreSQL and nats-server -js on loopback): a node acts only on messages sealed under its
 * cluster's key. Another cluster's node on the same bus, and a forger publishing a well-formed
 * batch straight to the bus (any role that can connect to the database may NOTIFY; any NATS client
 * allowed to publish on the subject), get nothing delivered; the receiving node warns; sealed
 * messages after them go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { connect as connectNats } from 'nats';
import type { BusOrder, OrderBus, RouteChange } from '../../src/cluster/order-bus.js';
import { packBatches } from '../../src/cluster/order-bus.js';
import { PG_ORDER_CHANNEL, createPgNotifyBus } from '../../src/cluster/pg-notify-bus.js';
import { NATS_ORDER_SUBJECT, createNatsBus } from '../../src/cluster/nats-bus.js';
import { BusSeal, newBusKey } from '../../src/cluster/bus-seal.js';
import { busServers } from './support/bus-servers.js';
import { waitFor } from '../manager/support/fleet.js';

const servers = busServers();
/** The cluster's bus key, shared by its nodes. */
const seal = new BusSeal(newBusKey());

const order = (seq: number, payload = `{"seq":${seq}}`): BusOrder => ({
  agentId: '001',
  seq,
  kind: 'add',
  payload,
});

interface Node {
  readonly bus: OrderBus;
  readonly got: BusOrder[];
  readonly routes: { node: string; change: RouteChange }[];
}

async function node(make: () => OrderBus): Promise<Node> {
  const n: Node = { bus: make(), got: [], routes: [] };
  await n.bus.start({
    onOrders: (o) => n.got.push(...o),
    onRoutes: (from, change) => n.routes.push({ node: from, change }),
    onResync: () => undefined,
  });
  return n;
}

/** Each bus with a seal and a warning sink of the test's choosing, and a raw publish as a forger would. */
const sealedKinds: readonly {
  name: string;
  make: (s: BusSeal, onWarn?: (t: string) => void) => OrderBus;
  inject: (text: string) => Promise<void>;
}[] = [
  {
    name: 'PostgreSQL LISTEN/NOTIFY',
    make: (s, onWarn) =>
      createPgNotifyBus({ connectionString: servers.pg().url, seal: s, ...(onWarn ? { onWarn } : {}) }),
    inject: async (text) => {
      // Any role that can connect may NOTIFY: no privilege on any table is needed.
      const c = new pg.Client({ connectionString: servers.pg().url });
      await c.connect();
      try {
        await c.query('SELECT pg_notify($1, $2)', [PG_ORDER_CHANNEL, text]);
      } finally {
        await c.end();
      }
    },
  },
  {
    name: 'NATS JetStream',
    make: (s, onWarn) =>
      createNatsBus({ servers: servers.nats().url, seal: s, ...(onWarn ? { onWarn } : {}) }),
    inject: async (text) => {
      const nc = await connectNats({ servers: servers.nats().url });
      try {
        await nc.jetstream().publish(NATS_ORDER_SUBJECT, text); // stored in the stream when resolved
      } finally {
        await nc.close();
      }
    },
  },
];

for (const kind of sealedKinds) {
  test(`${kind.name}: messages without the cluster's seal are dropped and reported; sealed ones go on`, async () => {
    const warnings: string[] = [];
    const receiver = await node(() => kind.make(seal, (t) => warnings.push(t)));
    const stranger = await node(() => kind.make(new BusSeal(newBusKey())));
    const sender = await node(() => kind.make(seal));
    try {
      stranger.bus.publish([order(40)]); // sealed under another cluster's key
      await waitFor(
        'the unsealed message reported',
        20_000,
        () =>
          warnings.some((w) => /^Order bus: 1 message\(s\) without a valid seal dropped/.test(w)) ||
          undefined,
      );
      // A forger's batch, well formed, with no seal; in the bus's order before the sealed one.
      await kind.inject(packBatches('forger', [order(41, '{"forged":true}')], 7_900)[0] ?? '');
      sender.bus.publish([order(42)]);
      await waitFor('the sealed order', 20_000, () => receiver.got.some((o) => o.seq === 42) || undefined);
      assert.deepEqual(
        receiver.got.map((o) => o.seq),
        [42],
      );
      assert.equal(warnings.length, 1, 'one warning per 10 s at most');
    } finally {
      await Promise.all([receiver.bus.close(), stranger.bus.close(), sender.bus.close()]);
    }
  });
}
