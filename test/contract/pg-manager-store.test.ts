/**
 * The PostgreSQL manager store (pg-manager-store.ts) against every ManagerStore contract suite
 * (manager-store, its batch part, manager-console-store), on a private PostgreSQL started for this
 * file (test/cluster/support/pg-server.ts: initdb + pg_ctl on a free loopback port, data in a temp
 * dir). Each case gets a fresh schema. When PostgreSQL cannot start, every case fails with the
 * harness's message (never skipped). Plus what only this adapter must do: keep orders across
 * close and reopen, and let several nodes open (and migrate) one database at once.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { openPgManagerStore } from '../../src/store/pg-manager-store.js';
import { poolConfig } from '../../src/store/pg-manager-base.js';
import { PG_MANAGER_MIGRATIONS, applyPgMigrations } from '../../src/store/pg-manager-migrations.js';
import { startPgServer, type PgServer } from '../cluster/support/pg-server.js';
import { managerStoreContract } from './manager-store.contract.js';
import { managerConsoleStoreContract } from './manager-console-store.contract.js';
import { sharedManagerStoreContract } from './shared-manager-store.contract.js';
import { apiAccessStoreContract } from './api-access-store.contract.js';
import { openPgApiStore } from '../../src/store/pg-api-store.js';
import { newOrder } from './manager-store.fixtures.js';
import { startTcpProxy, throughProxy } from '../support/tcp-proxy.js';

let server: Promise<PgServer> | undefined;
/** The private server, started by the first case that needs it. */
function pgServer(): Promise<PgServer> {
  server ??= startPgServer();
  return server;
}
after(async () => {
  if (server !== undefined) {
    await (await server).stop();
  }
});

let cases = 0;
/** A schema name no other case uses. */
const freshSchema = (): string => `case_${++cases}`;

/**
 * A fresh schema holding a store of schema version `version` (migrations up to it applied), with
 * the rows `sql` inserts: what an older Riposte left, for a migration test to open.
 */
async function storeAtVersion(
  version: number,
  sql: readonly string[],
): Promise<{ url: string; schema: string }> {
  const { url } = await pgServer();
  const schema = freshSchema();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`SET search_path = "${schema}"`);
    assert.deepEqual(
      await applyPgMigrations(
        client,
        PG_MANAGER_MIGRATIONS.filter((m) => m.version <= version),
      ),
      Array.from({ length: version }, (_, i) => i + 1),
    );
    for (const statement of sql) {
      await client.query(statement);
    }
  } finally {
    await client.end();
  }
  return { url, schema };
}

/** The backend pid of the one connection named `applicationName`. */
async function backendOf(url: string, applicationName: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ]);
    assert.equal(r.rows.length, 1);
    return r.rows[0]?.pid ?? 0;
  } finally {
    await c.end();
  }
}

/**
 * Synchronously (psql, this process blocked): waits until backend `pid` has run getSetting's
 * read and is idle again (its ReadyForQuery sent), then ends it and waits until it is gone (its
 * FATAL sent). Bounded: fails after 30 s.
 */
function endAfterRead(url: string, pid: number): void {
  const sql = `DO $$
    BEGIN
      FOR i IN 1..3000 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ${pid} AND state = 'idle'
          AND query LIKE 'SELECT value FROM settings%');
        PERFORM pg_sleep(0.01);
      END LOOP;
      IF NOT pg_terminate_backend(${pid}, 30000) THEN
        RAISE 'backend ${pid} did not end';
      END IF;
    END $$`;
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stderr}${r.error?.message ?? ''}`);
}

managerStoreContract('postgres', async () =>
  openPgManagerStore((await pgServer()).url, { schema: freshSchema() }),
);
managerConsoleStoreContract('postgres', async () =>
  openPgManagerStore((await pgServer()).url, { schema: freshSchema() }),
);
sharedManagerStoreContract(
  'postgres',
  async () => {
    const { url } = await pgServer();
    const schema = freshSchema();
    const a = await openPgManagerStore(url, { schema });
    return [a, await openPgManagerStore(url, { schema })] as const;
  },
  { batchesAcrossInstances: true },
);
apiAccessStoreContract('postgres', async () => {
  const { url } = await pgServer();
  const schema = freshSchema();
  const a = await openPgApiStore(url, { schema });
  return [a, await openPgApiStore(url, { schema })] as const;
});

void describe('PostgreSQL manager store: durability and several nodes', () => {
  void test('enqueueOrders stores a lone UTF-16 surrogate as U+FFFD (the rows go as one JSON text)', async () => {
    const { url } = await pgServer();
    const s = await openPgManagerStore(url, { schema: freshSchema() });
    try {
      const [o] = await s.enqueueOrders([
        newOrder({ payload: 'p\ud800', alertId: 'a\udc00b', key: '\ud83d' }),
      ]);
      const back = await s.getOrder('001', 1);
      assert.deepEqual([back?.payload, back?.alertId, back?.key], ['p\ufffd', 'a\ufffdb', '\ufffd']);
      assert.equal(o?.seq, 1);
    } finally {
      await s.close();
    }
  });

  void test('store connections run with jit off and the schema as search_path', async () => {
    const { url } = await pgServer();
    const schema = freshSchema();
    const c = new pg.Client(poolConfig(url, { schema }));
    await c.connect();
    try {
      const r = await c.query<{ jit: string; path: string }>(
        'SELECT current_setting($1) AS jit, current_setting($2) AS path',
        ['jit', 'search_path'],
      );
      assert.deepEqual(r.rows[0], { jit: 'off', path: `"${schema}"` });
    } finally {
      await c.end();
    }
  });

  void test("each connection says which part of Riposte holds it (application_name); the URL's own wins", async () => {
    const { url } = await pgServer();
    const names = async (conn: string): Promise<string[]> => {
      const c = new pg.Client(poolConfig(conn, {}));
      await c.connect();
      try {
        return [
          (await c.query<{ n: string }>("SELECT current_setting('application_name') AS n")).rows[0]?.n ?? '',
        ];
      } finally {
        await c.end();
      }
    };
    assert.deepEqual(await names(url), ['riposte store']);
    assert.deepEqual(await names(`${url}?application_name=mine`), ['mine']);
    const schema = freshSchema();
    const store = await openPgManagerStore(url, { schema });
    const api = await openPgApiStore(url, { schema });
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      await store.getSetting('x'); // a pool connection in use once, now idle in the pool
      await api.tokens.list();
      const r = await check.query<{ name: string }>(
        "SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE application_name LIKE 'riposte %'",
      );
      const seen = r.rows.map((row) => row.name);
      assert.ok(seen.includes('riposte store') && seen.includes('riposte api store'), seen.join(', '));
    } finally {
      await check.end();
      await api.close();
      await store.close();
    }
  });

  void test('prepared statements: past the custom plans (generic plan), enqueue, ack and the queue reads stay right', async () => {
    const { url } = await pgServer();
    const s = await openPgManagerStore(url, { schema: freshSchema(), maxConnections: 1 });
    try {
      const all: { agentId: string; seq: number }[] = [];
      for (let round = 1; round <= 8; round++) {
        const agents = ['001', '002', '003'].slice(0, 1 + (round % 3));
        const stored = await s.enqueueOrders(
          agents.flatMap((agentId) =>
            Array.from({ length: round }, (_, k) => newOrder({ agentId, payload: `r${round}-${k}` })),
          ),
        );
        const queued = await s.queuedOrdersOf(agents);
        assert.deepEqual(
          queued.map((o) => o.payload),
          [...stored]
            .sort((a, b) => a.agentId.localeCompare(b.agentId) || a.seq - b.seq)
            .map((o) => o.payload),
        );
        const acked = await s.ackOrders(
          stored.map((o) => ({ agentId: o.agentId, seq: o.seq })),
          1000 + round,
        );
        all.push(...stored.map((o) => ({ agentId: o.agentId, seq: o.seq })));
        assert.equal(acked.length, stored.length);
        assert.deepEqual(await s.queuedOrdersOf(['001', '002', '003']), []);
      }
      const states = (await s.getOrdersOf(all)).map((o) => o.state);
      assert.deepEqual(
        states,
        all.map(() => 'delivered'),
      );
    } finally {
      await s.close();
    }
  });

  void test('a connection PostgreSQL ends just as it is handed to a waiting batch fails that batch, not the process', async () => {
    const { url } = await pgServer();
    const schema = freshSchema();
    const applicationName = `riposte handover ${schema}`;
    const s = await openPgManagerStore(url, { schema, maxConnections: 1, applicationName });
    try {
      await s.setSetting('warm', '1'); // opens the pool's one connection
      const pid = await backendOf(url, applicationName);
      // Both want the one connection: the read gets it, the batch waits for it.
      const read = s.getSetting('x');
      const batch = s.batch((tx) => tx.getSetting('y'));
      // After pg-pool's own nextTick has sent the read: block this process until PostgreSQL has
      // answered the read and then ended its backend, so that the read's ReadyForQuery (which hands
      // the connection to the batch) and the FATAL arrive in one socket read.
      process.nextTick(() => {
        endAfterRead(url, pid);
      });
      assert.equal(await read, undefined);
      await assert.rejects(batch, /not queryable|terminat/i);
      await s.batch((tx) => tx.setSetting('after', '2'));
      assert.equal(await s.getSetting('after'), '2');
      assert.notEqual(await backendOf(url, applicationName), pid);
    } finally {
      await s.close();
    }
  });

  void test('a node frozen inside a transaction holds its row locks only until idle_in_transaction_session_timeout', async () => {
    const { url } = await pgServer();
    const schema = freshSchema();
    // The frozen node (a host lost, a paused VM) with a short timeout; the other with the default.
    const frozenNode = await openPgManagerStore(url, { schema, idleInTransactionTimeoutMs: 1_000 });
    const other = await openPgManagerStore(url, { schema });
    let thaw = (): void => undefined;
    const frozen = new Promise<void>((resolve) => {
      thaw = resolve;
    });
    try {
      await other.enqueueOrders([newOrder({ createdAt: 1 })]);
      let locked = (): void => undefined;
      const holding = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const zombie = frozenNode.batch(async (tx) => {
        await tx.ackOrders([{ agentId: '001', seq: 1 }], 5); // locks the order row
        locked();
        await frozen; // the node stops here, between two statements of its transaction
      });
      await holding;
      // The other node's ack of the same order waits on that row lock until PostgreSQL ends the
      // frozen session; without the timeout it would wait for as long as the session lives.
      const acked = await Promise.race([
        other.ackOrders([{ agentId: '001', seq: 1 }], 7),
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            reject(new Error('the row lock was still held after 30 s'));
          }, 30_000).unref(),
        ),
      ]);
      assert.deepEqual(
        acked.map((o) => o.seq),
        [1],
        "the frozen node's ack was rolled back; this one moved it",
      );
      assert.equal((await other.getOrder('001', 1))?.deliveredAt, 7);
      thaw();
      await assert.rejects(zombie, /terminat|not queryable|Connection/i, 'the frozen transaction fails');
    } finally {
      thaw();
      await frozenNode.close();
      await other.close();
    }
  });

  void test('a statement on a connection that died silently fails after queryTimeoutMs; the next one works', async () => {
    const { url } = await pgServer();
    const proxy = await startTcpProxy(Number(new URL(url).port));
    const s = await openPgManagerStore(throughProxy(url, proxy), {
      schema: freshSchema(),
      queryTimeoutMs: 1_000,
    });
    try {
      await s.setSetting('k', '1'); // the pool's connection, open
      proxy.cut(); // no FIN, no RST: without the limit the read would wait for as long as TCP tries
      const read = s.getSetting('k');
      await assert.rejects(
        Promise.race([
          read,
          new Promise<never>((_, reject) =>
            setTimeout(() => {
              reject(new Error('still waiting after 30 s: no statement limit'));
            }, 30_000).unref(),
          ),
        ]),
        /read timeout/i,
      );
      proxy.heal();
      assert.equal(await s.getSetting('k'), '1', 'on a new connection: the dead one was discarded');
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  void test("the store's connections start with server-side keepalives and a 30 s idle-in-transaction limit", async () => {
    const { url } = await pgServer();
    const pool = new pg.Pool(poolConfig(url, { schema: freshSchema() }));
    try {
      const show = async (name: string): Promise<string | undefined> =>
        (await pool.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name];
      assert.equal(await show('idle_in_transaction_session_timeout'), '30s');
      assert.equal(await show('tcp_keepalives_idle'), '10');
      assert.equal(await show('tcp_keepalives_interval'), '5');
      assert.equal(await show('tcp_keepalives_count'), '3');
      assert.equal(await show('jit'), 'off');
    } finally {
      await pool.end();
    }
  });

  void test('a reopened store keeps every order, and seqs continue', async () => {
    const { url } = await pgServer();
    const schema = freshSchema();
    const a = await openPgManagerStore(url, { schema });
    await a.enqueueOrder(newOrder({ payload: 'm1' }));
    await a.enqueueOrder(newOrder({ payload: 'm2' }));
    await a.close();
    const b = await openPgManagerStore(url, { schema });
    try {
      assert.deepEqual(
        (await b.queuedOrders('001')).map((o) => o.payload),
        ['m1', 'm2'],
      );
      assert.equal((await b.enqueueOrder(newOrder({ payload: 'm3' }))).seq, 3);
    } finally {
      await b.close();
    }
  });

  void test('several nodes open one new database at once: each migration applied once, seqs distinct', async () => {
    const { url } = await pgServer();
    const schema = freshSchema();
    const nodes = await Promise.all([1, 2, 3, 4].map(() => openPgManagerStore(url, { schema })));
    try {
      const seqs = await Promise.all(
        nodes.flatMap((node, i) =>
          [1, 2, 3, 4, 5].map(
            async (j) => (await node.enqueueOrder(newOrder({ payload: `n${i}-${j}` }))).seq,
          ),
        ),
      );
      assert.deepEqual(
        seqs.sort((x, y) => x - y),
        Array.from({ length: 20 }, (_, k) => k + 1),
      );
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const r = await client.query<{ version: number }>(
        `SELECT version FROM "${schema}".riposte_manager_migrations ORDER BY version`,
      );
      assert.deepEqual(
        r.rows.map((row) => row.version),
        PG_MANAGER_MIGRATIONS.map((m) => m.version),
      );
    } finally {
      await client.end();
    }
  });
  void test('migration 5 upgrades a store of version 4: its queued orders stay queued, delivered ones do not, no index of orders holds state', async () => {
    // What a version-4 store holds: order rows with their states, and the seq counters.
    const { url, schema } = await storeAtVersion(4, [
      `INSERT INTO orders (agent_id, seq, kind, source, payload, state, created_at, expires_at, delivered_at)
         VALUES ('001', 1, 'add', 'alert', 'q1', 'queued', 1, 10000, NULL),
                ('001', 2, 'add', 'alert', 'd2', 'delivered', 2, 10000, 5),
                ('002', 1, 'add', 'alert', 'q3', 'queued', 3, 500, NULL)`,
      `INSERT INTO order_seqs (agent_id, last_seq) VALUES ('001', 2), ('002', 1)`,
    ]);
    const s = await openPgManagerStore(url, { schema });
    try {
      assert.deepEqual(
        (await s.queuedOrders('001')).map((o) => o.payload),
        ['q1'],
      );
      assert.deepEqual(
        (await s.queuedOrdersOf(['002', '001'])).map((o) => o.payload),
        ['q1', 'q3'],
      );
      assert.deepEqual(
        (await s.expirableOrders(1000)).map((o) => o.payload),
        ['q3'],
      );
      assert.deepEqual(
        (await s.ackOrders([{ agentId: '001', seq: 1 }], 7)).map((o) => o.seq),
        [1],
      );
      // The queue row follows the state both ways (updateOrder can set any state).
      await s.updateOrder('001', 1, { state: 'queued' });
      assert.deepEqual(
        (await s.queuedOrders('001')).map((o) => o.payload),
        ['q1'],
      );
      assert.deepEqual(
        (await s.ackOrders([{ agentId: '001', seq: 1 }], 8)).map((o) => o.seq),
        [1],
      );
      await s.updateOrder('002', 1, { state: 'expired', expiredAt: 1000 });
      assert.deepEqual(await s.queuedOrdersOf(['001', '002']), []);
      assert.deepEqual(await s.expirableOrders(100_000), []);
      const next = await s.enqueueOrder(newOrder({ payload: 'q4' }));
      assert.equal(next.seq, 3);
      assert.deepEqual(
        (await s.queuedOrders('001')).map((o) => o.payload),
        ['q4'],
      );
    } finally {
      await s.close();
    }
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      // The ack writes state and delivered_at: with neither in any index it can be a HOT update.
      const r = await check.query<{ indexdef: string }>(
        'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
        [schema, 'orders'],
      );
      assert.ok(r.rows.length > 0);
      for (const { indexdef } of r.rows) {
        assert.doesNotMatch(indexdef, /state|delivered_at/);
      }
    } finally {
      await check.end();
    }
  });

  void test('migration 6 gives the seq counters and the agents room for HOT updates: a bump stays on its page, counters continue', async () => {
    // A version-5 store's full pages: 400 counters and 400 agents packed at fillfactor 100.
    const { url, schema } = await storeAtVersion(5, [
      `INSERT INTO order_seqs (agent_id, last_seq) SELECT lpad(i::text, 3, '0'), 1 FROM generate_series(1, 400) i`,
      `INSERT INTO agents (id, name, fingerprint, registered_at)
         SELECT lpad(i::text, 3, '0'), 'agent-' || i, 'fp-' || i, 1 FROM generate_series(1, 400) i`,
    ]);
    const s = await openPgManagerStore(url, { schema });
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      const options = await check.query<{ relname: string; reloptions: string[] | null }>(
        `SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relname IN ('order_seqs', 'agents', 'orders') ORDER BY c.relname`,
        [schema],
      );
      assert.deepEqual(
        options.rows.map((r) => [r.relname, r.reloptions]),
        [
          ['agents', ['fillfactor=50']],
          ['order_seqs', ['fillfactor=20']],
          ['orders', ['fillfactor=50']],
        ],
      );
      // The page (ctid's block) a row lives on: an update that stays on it wrote no index entry
      // (no indexed column changes), i.e. it was HOT.
      const pageOf = async (table: string, id: string, column: string): Promise<string> => {
        const r = await check.query<{ page: string }>(
          `SELECT (ctid::text::point)[0]::text AS page FROM "${schema}".${table} WHERE ${column} = $1`,
          [id],
        );
        return r.rows[0]?.page ?? 'missing';
      };
      const counterPage = await pageOf('order_seqs', '001', 'agent_id');
      let last = 0;
      for (let i = 0; i < 50; i++) {
        const [stored] = await s.enqueueOrders([newOrder({ agentId: '001' })]);
        last = stored?.seq ?? 0;
      }
      assert.equal(last, 51, 'the counter continues from the version-5 store');
      assert.equal(await pageOf('order_seqs', '001', 'agent_id'), counterPage);
      const agentPage = await pageOf('agents', '002', 'id');
      for (let i = 0; i < 20; i++) {
        await s.updateAgentsSeen([{ id: '002', seen: { lastSeen: 1000 + i } }]);
      }
      assert.equal(await pageOf('agents', '002', 'id'), agentPage);
      assert.equal((await s.getAgent('002'))?.lastSeen, 1019);
    } finally {
      await check.end();
      await s.close();
    }
  });
});
