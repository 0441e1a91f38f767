/**
 * The order bus between manager nodes (src/cluster/), both implementations against real servers
 * (a private PostgreSQL and nats-server -js on loopback): what one node publishes reaches the
 * others and not itself, an order too large for one message still arrives (PostgreSQL: without
 * its payload, read from the store), and after a server restart the bus carries orders again
 * without a manual step (PostgreSQL also asks for a resync: NOTIFYs sent while it was down are
 * lost). Plus the timers' lease: one leader at a time, another takes over when it goes, and a
 * leader stopped (SIGSTOP) past its ttl loses the lease to another node and knows it when it runs
 * again, before any renew; a lease stopped while its connection is down still releases the row.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import type { BusOrder, OrderBus } from '../../src/cluster/order-bus.js';
import { decodeMessage, packBatches, queueBatches } from '../../src/cluster/order-bus.js';
import { createPgNotifyBus } from '../../src/cluster/pg-notify-bus.js';
import { BusSeal, newBusKey } from '../../src/cluster/bus-seal.js';
import { NATS_ORDER_STREAM, createNatsBus } from '../../src/cluster/nats-bus.js';
import { connect as connectNats } from 'nats';
import { startPgLease, type Lease } from '../../src/cluster/pg-lease.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startMigratedPgServer, type PgServer } from './support/pg-server.js';
import { waitFor } from '../manager/support/fleet.js';
import { busNode as node, busOrder as order } from './support/bus-node.js';
import { startTcpProxy, throughProxy } from '../support/tcp-proxy.js';

/** A batch's orders as node `self` decodes them; undefined when not a batch of orders for it. */
function decodeBatch(text: string, self: string): BusOrder[] | undefined {
  const m = decodeMessage(text, self);
  return m?.type === 'orders' ? m.orders : undefined;
}

let pgServer: PgServer;
let nats: NatsServer;
/** The cluster's bus key: every node of these tests shares it (bus-seal.ts). */
const seal = new BusSeal(newBusKey());

before(async () => {
  // The lease's table comes from the store's migrations, as on a node (it opens its store first).
  pgServer = await startMigratedPgServer();
  nats = await startNatsServer();
});

after(async () => {
  await nats.stop();
  await pgServer.stop();
});

test('batches: packed under the size limit, decoded, own batches skipped', () => {
  const orders: BusOrder[] = Array.from({ length: 50 }, (_, i) => ({
    agentId: String(i).padStart(3, '0'),
    seq: i + 1,
    kind: i % 2 === 0 ? 'add' : 'revert',
    payload: 'x'.repeat(300),
  }));
  const big: BusOrder = { agentId: '999', seq: 7, kind: 'add', payload: 'y'.repeat(9_000) };
  const batches = packBatches('node-a', [...orders, big], 7_900);
  assert.ok(batches.length > 1);
  for (const b of batches) {
    assert.ok(Buffer.byteLength(b) <= 7_900, `batch of ${Buffer.byteLength(b)} bytes`);
  }
  const back = batches.flatMap((b) => decodeBatch(b, 'node-b') ?? []);
  assert.deepEqual(back, [...orders, { agentId: '999', seq: 7, kind: 'add' }]);
  assert.equal(decodeBatch(batches[0] ?? '', 'node-a'), undefined);
  assert.equal(decodeBatch('{"n":1}', 'node-b'), undefined);
  assert.equal(decodeBatch('not json', 'node-b'), undefined);
  // Payloads travel as they are after the header: newlines, quotes, multi-byte characters.
  const odd: BusOrder[] = [
    { agentId: '001', seq: 1, kind: 'add', payload: '{"a":"line\none \\"q\\" é ✓ 😀"}\n' },
    { agentId: '002', seq: 2, kind: 'revert' },
    { agentId: '003', seq: 3, kind: 'revert', payload: '' },
  ];
  const [one, ...none] = packBatches('node-a', odd, 7_900);
  assert.deepEqual(none, []);
  assert.deepEqual(decodeBatch(one ?? '', 'node-b'), odd);
  assert.equal(decodeBatch(`${one ?? ''}x`, 'node-b'), undefined, 'a byte past the payloads');
  assert.equal(decodeBatch((one ?? '').slice(0, -1), 'node-b'), undefined, 'a payload cut short');
  assert.ok(
    Buffer.byteLength(packBatches('node-a', [{ ...big, payload: 'é'.repeat(3_999) }], 7_900)[0] ?? '') <=
      7_900,
  );
});

test('batches waiting for a bus that is down: capped by count and by size, the oldest dropped', () => {
  const pending: string[] = [];
  const big = (seq: number): BusOrder => ({ agentId: '001', seq, kind: 'add', payload: 'x'.repeat(400_000) });
  const limits = { maxBytes: 512 * 1024, maxPending: 10_000, maxPendingChars: 2_000_000 };
  let dropped = 0;
  for (let seq = 1; seq <= 10; seq++) {
    dropped += queueBatches(pending, packBatches('node-a', [big(seq)], limits.maxBytes), limits);
  }
  // Each batch is one 400 KB order: 4 fit under 2,000,000 characters; the 6 oldest went.
  assert.equal(dropped, 6);
  assert.deepEqual(
    pending.map((b) => decodeBatch(b, 'node-b')?.[0]?.seq),
    [7, 8, 9, 10],
  );
  assert.ok(pending.reduce((n, b) => n + b.length, 0) <= 2_000_000);
  const small: string[] = [];
  for (let seq = 1; seq <= 5; seq++) {
    queueBatches(small, packBatches('node-a', [order(seq)], 7_900), { maxBytes: 7_900, maxPending: 3 });
  }
  assert.deepEqual(
    small.map((b) => decodeBatch(b, 'node-b')?.[0]?.seq),
    [3, 4, 5],
    'by count',
  );
});

const kinds: readonly { name: string; make: () => OrderBus; restart: () => Promise<void> }[] = [
  {
    name: 'PostgreSQL LISTEN/NOTIFY',
    make: () =>
      createPgNotifyBus({
        connectionString: pgServer.url,
        seal,
        minRetryMs: 100,
        maxRetryMs: 500,
        onWarn: (t) => {
          console.error(t);
        },
      }),
    restart: () => {
      pgServer.restart();
      return Promise.resolve();
    },
  },
  {
    name: 'NATS JetStream',
    make: () => createNatsBus({ servers: nats.url, seal }),
    restart: () => nats.restart(),
  },
];

for (const kind of kinds) {
  describe(kind.name, () => {
    test('hand-off to the other nodes, not back to the sender; large orders arrive', async () => {
      const a = await node(kind.make);
      const b = await node(kind.make);
      const c = await node(kind.make);
      try {
        const big = order(3, 'z'.repeat(20_000));
        a.bus.publish([order(1), order(2), big]);
        for (const n of [b, c]) {
          await waitFor('3 orders', 10_000, () => (n.got.length >= 3 ? true : undefined));
          assert.deepEqual(
            n.got.map((o) => o.seq),
            [1, 2, 3],
          );
          assert.equal(n.got[0]?.payload, '{"seq":1}');
          const third = n.got[2];
          assert.ok(third?.payload === undefined || third.payload === big.payload);
        }
        assert.equal(a.got.length, 0);
      } finally {
        await Promise.all([a.bus.close(), b.bus.close(), c.bus.close()]);
      }
    });

    test('routed to one node: only that node gets it; route changes reach every other node', async () => {
      const a = await node(kind.make);
      const b = await node(kind.make);
      const c = await node(kind.make);
      try {
        a.bus.announce({ held: ['001', '002'], released: ['003'] });
        for (const n of [b, c]) {
          await waitFor('route change', 10_000, () => (n.routes.length > 0 ? true : undefined));
          assert.deepEqual(n.routes, [
            { node: a.bus.node, change: { held: ['001', '002'], released: ['003'] } },
          ]);
        }
        a.bus.publish([order(1), order(2)], b.bus.node);
        // Then one to every node: once c has it, the routed batch published before it was not for c.
        a.bus.publish([order(3)]);
        await waitFor('routed batch on b', 10_000, () => (b.got.length >= 3 ? true : undefined));
        await waitFor('broadcast on c', 10_000, () => (c.got.length >= 1 ? true : undefined));
        assert.deepEqual(
          b.got.map((o) => o.seq),
          [1, 2, 3],
        );
        assert.deepEqual(b.routed, [true, true, false]);
        assert.deepEqual(
          c.got.map((o) => o.seq),
          [3],
        );
        assert.deepEqual(c.routed, [false]);
        assert.deepEqual([a.got, a.routes], [[], []], 'nothing back to the sender');
      } finally {
        await Promise.all([a.bus.close(), b.bus.close(), c.bus.close()]);
      }
    });

    test('server restart: orders flow again without a manual step', async () => {
      const a = await node(kind.make);
      const b = await node(kind.make);
      try {
        a.bus.publish([order(10)]);
        await waitFor('before restart', 10_000, () => (b.got.length === 1 ? true : undefined));
        await kind.restart();
        // Published at once: it waits in the sender until its connection is back.
        a.bus.publish([order(11)]);
        // NOTIFYs sent while a listener is away are lost, and a JetStream message can expire
        // before a node comes back: both ask for a resync from the store once reconnected, and
        // receive again from then on.
        await waitFor('resync asked', 20_000, () => (b.resyncs > 0 ? true : undefined));
        a.bus.publish([order(12)]);
        await waitFor('after restart', 30_000, () => (b.got.some((o) => o.seq === 12) ? true : undefined));
      } finally {
        await Promise.all([a.bus.close(), b.bus.close()]);
      }
    });
  });
}

test('NATS: a stream that is gone (deleted, a server without its store) is made again; hand-offs go on', async () => {
  const a = await node(() => createNatsBus({ servers: nats.url, seal }));
  const b = await node(() => createNatsBus({ servers: nats.url, seal }));
  const admin = await connectNats({ servers: nats.url });
  try {
    a.bus.publish([order(30)]);
    await waitFor('before the stream is gone', 10_000, () => (b.got.length === 1 ? true : undefined));
    await (await admin.jetstreamManager()).streams.delete(NATS_ORDER_STREAM);
    // What was published while the stream was gone did not reach b: it resyncs from the store.
    await waitFor('a resync after a new consumer', 20_000, () => (b.resyncs > 0 ? true : undefined));
    a.bus.publish([order(31)]);
    await waitFor('a hand-off after', 20_000, () => (b.got.some((o) => o.seq === 31) ? true : undefined));
  } finally {
    await admin.close();
    await Promise.all([a.bus.close(), b.bus.close()]);
  }
});

test('order bus: a LISTEN connection that died silently is noticed by its heartbeat and replaced', async () => {
  const proxy = await startTcpProxy(Number(new URL(pgServer.url).port));
  const warnings: string[] = [];
  const listener = await node(() =>
    createPgNotifyBus({
      connectionString: throughProxy(pgServer.url, proxy),
      seal,
      heartbeatMs: 200,
      queryTimeoutMs: 1_000,
      minRetryMs: 100,
      maxRetryMs: 500,
      onWarn: (t) => warnings.push(t),
    }),
  );
  const sender = await node(() => createPgNotifyBus({ connectionString: pgServer.url, seal }));
  try {
    sender.bus.publish([order(1)]);
    await waitFor('an order before the cut', 10_000, () => (listener.got.length === 1 ? true : undefined));
    proxy.cut(); // no FIN, no RST: without a heartbeat the listener would wait forever
    await waitFor('the dead connection noticed', 20_000, () =>
      warnings.some((w) => /timeout/i.test(w)) ? true : undefined,
    );
    proxy.heal();
    await waitFor('reconnected, a resync asked', 20_000, () => (listener.resyncs > 0 ? true : undefined));
    sender.bus.publish([order(2)]);
    await waitFor('an order after the cut', 10_000, () =>
      listener.got.some((o) => o.seq === 2) ? true : undefined,
    );
  } finally {
    await Promise.all([listener.bus.close(), sender.bus.close()]);
    await proxy.close();
  }
});

test('timers lease: one leader at a time; another takes over when it stops', async () => {
  // A ttl of 15 periods: a busy machine's stalled event loop must not make the leader step down.
  const leases = [1, 2, 3].map(() =>
    startPgLease({ connectionString: pgServer.url, everyMs: 200, ttlMs: 3_000 }),
  );
  try {
    await waitFor('a leader', 10_000, () => (leases.some((l) => l.isLeader()) ? true : undefined));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(leases.filter((l) => l.isLeader()).length, 1);
    const first = leases.find((l) => l.isLeader());
    await first?.stop();
    const rest = leases.filter((l) => l !== first);
    await waitFor('a new leader', 10_000, () => (rest.some((l) => l.isLeader()) ? true : undefined));
    assert.equal(rest.filter((l) => l.isLeader()).length, 1);
    pgServer.restart();
    // The leader keeps leading by time through the restart; a renew after it shows it reconnected.
    const check = new pg.Client({ connectionString: pgServer.url });
    await check.connect();
    try {
      const t0 = (await check.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]?.t;
      await waitFor('one leader, its lease renewed after a PostgreSQL restart', 20_000, async () => {
        const r = await check.query<{ renewed: boolean }>(
          `SELECT expires_at > $1::timestamptz + interval '3 s' AS renewed FROM cluster_leases WHERE name = 'timers'`,
          [t0],
        );
        return (r.rows[0]?.renewed === true && rest.filter((l) => l.isLeader()).length === 1) || undefined;
      });
    } finally {
      await check.end();
    }
  } finally {
    await Promise.all(leases.map((l) => l.stop()));
  }
});

/** Resolves once PostgreSQL holds no session named `applicationName` (fails after 10 s). */
async function noSessionLeft(applicationName: string): Promise<void> {
  const check = new pg.Client({ connectionString: pgServer.url });
  await check.connect();
  try {
    await waitFor(`no ${applicationName} session left`, 10_000, async () => {
      const r = await check.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      return r.rows[0]?.n === 0 || undefined;
    });
  } finally {
    await check.end();
  }
}

test('order bus closed while it connects: its start settles and no session is left', async () => {
  const bus = createPgNotifyBus({ connectionString: pgServer.url, seal });
  const started = bus.start({ onOrders: () => undefined, onResync: () => undefined });
  await bus.close();
  await started;
  await noSessionLeft('riposte order bus');
});

test('timers lease stopped while it connects: no session left behind to hold the lock', async () => {
  const early = startPgLease({ connectionString: pgServer.url, everyMs: 60_000 });
  await early.stop(); // its first try is still connecting
  const next = startPgLease({ connectionString: pgServer.url, everyMs: 200 });
  try {
    await waitFor('the next lease leading', 10_000, () => (next.isLeader() ? true : undefined));
  } finally {
    await next.stop();
  }
  assert.equal(early.isLeader(), false);
  await noSessionLeft('riposte lease');
});

test('timers lease stopped while its connection is down: the row is released on a new one', async () => {
  const warnings: string[] = [];
  // A long period: no renew reconnects between the loss and stop().
  const lease = startPgLease({
    connectionString: pgServer.url,
    everyMs: 60_000,
    onWarn: (w) => warnings.push(w),
  });
  const check = new pg.Client({ connectionString: pgServer.url });
  await check.connect();
  const holders = async (): Promise<number> =>
    (await check.query("SELECT holder FROM cluster_leases WHERE name = 'timers'")).rowCount ?? 0;
  try {
    await waitFor('the lease held', 10_000, () => (lease.isLeader() ? true : undefined));
    assert.equal(await holders(), 1);
    await check.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'riposte lease'",
    );
    await waitFor('the lease connection lost', 10_000, () => (warnings.length > 0 ? true : undefined));
    assert.equal(lease.isLeader(), true, 'still the holder by time');
    await lease.stop();
    assert.equal(
      await holders(),
      0,
      'released: another node takes the timers at its next try, not after the ttl',
    );
  } finally {
    await lease.stop();
    // Whatever happened, the next tests find the row free.
    await check.query("DELETE FROM cluster_leases WHERE name = 'timers'");
    await check.end();
  }
  await noSessionLeft('riposte lease');
});

const LEASE_CHILD = path.resolve('dist/test/cluster/support/lease-child.js');

/** A lease-child.ts process: what it printed, and its answer to "are you the leader?". */
interface LeaseChild {
  readonly child: ChildProcess;
  lines(): string[];
  isLeader(): Promise<boolean>;
  /** Goes on (SIGCONT) and is killed (SIGKILL): no stopped process is left behind. */
  kill(): Promise<void>;
}

function spawnLeaseChild(url: string, everyMs: number, ttlMs: number): LeaseChild {
  const child = spawn(process.execPath, [LEASE_CHILD, url, String(everyMs), String(ttlMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const lines = (): string[] => out.split('\n').filter((l) => l !== '');
  let asked = 0;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      resolve();
    });
  });
  return {
    child,
    lines,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await exited;
    },
    isLeader: async () => {
      const id = `q${++asked}`;
      child.stdin?.write(`${id}\n`);
      const answer = await waitFor(`the child's answer ${id}`, 20_000, () =>
        lines().find((l) => l.startsWith(`is ${id} `)),
      );
      return answer.endsWith(' true');
    },
  };
}

/** The holder of the timers' row, and whether every lease session has run a renew by now. */
async function leaseState(c: pg.Client, sessions: number): Promise<{ holder: string; tried: boolean }> {
  const row = await c.query<{ holder: string }>("SELECT holder FROM cluster_leases WHERE name = 'timers'");
  const tried = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE application_name = 'riposte lease' AND state = 'idle' AND query LIKE '%cluster_leases%'`,
  );
  return { holder: row.rows[0]?.holder ?? '', tried: tried.rows[0]?.n === sessions };
}

test('timers lease: a leader stopped (SIGSTOP) past its ttl loses the lease, and knows it when it goes on', async () => {
  // ttl 3 s, 15 periods: a busy machine's stalled event loop does not make a healthy leader step down.
  const kid = spawnLeaseChild(pgServer.url, 200, 3_000);
  const ofKid = (holder: string): boolean => holder.includes(`/${String(kid.child.pid)}/`);
  const check = new pg.Client({ connectionString: pgServer.url });
  let other: Lease | undefined;
  try {
    await check.connect();
    await waitFor('the child leading', 20_000, () => kid.lines().includes('leader true') || undefined);
    other = startPgLease({ connectionString: pgServer.url, everyMs: 200, ttlMs: 3_000 });
    const o = other;
    // Both have tried (the other at least once, answered) and the row is the child's.
    await waitFor('both leases tried', 20_000, async () => {
      const s = await leaseState(check, 2);
      return (s.tried && ofKid(s.holder)) || undefined;
    });
    assert.equal(o.isLeader(), false);
    assert.equal(await kid.isLeader(), true);
    kid.child.kill('SIGSTOP');
    await waitFor('the other lease taking over', 20_000, () => o.isLeader() || undefined);
    assert.equal(ofKid((await leaseState(check, 2)).holder), false, 'the row is the other lease holder');
    kid.child.kill('SIGCONT');
    // Right away, whether or not its first renew since was sent: its monotonic clock says it lost.
    assert.equal(await kid.isLeader(), false, 'the resumed child knows it lost the lease');
    // For several of the child's periods, its renews failing: never two leaders.
    const until = performance.now() + 1_500;
    while (performance.now() < until) {
      assert.equal(await kid.isLeader(), false);
      assert.equal(o.isLeader(), true);
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitFor(
      'the child told of its loss',
      20_000,
      () => kid.lines().includes('leader false') || undefined,
    );
    assert.deepEqual(
      kid.lines().filter((l) => l.startsWith('leader ')),
      ['leader true', 'leader false'],
      'the child was told it lost the lease, and never led again',
    );
  } finally {
    await kid.kill();
    await other?.stop();
    await check.end().catch(() => undefined);
  }
});
