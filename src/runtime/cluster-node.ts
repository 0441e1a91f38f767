/**
 * What makes a `riposte manager` on a PostgreSQL store one node of a cluster (docs/scale-out.md):
 *
 * - the order bus (src/cluster/order-bus.ts): orders this node stores for an agent whose link it
 *   does not hold are handed to the other nodes; orders handed by others are sent to the agents
 *   whose link this node holds;
 * - the sweep: every `sweepEveryMs` a slice of this node's agents gets its queued orders older
 *   than `staleAfterMs` re-sent from the store (each at most once per 30 s: sweep-resends.ts),
 *   and all of them after the bus was down (resync); each agent greeted here is swept once early,
 *   2-4 s after its hello, for the orders committed after its hello read its queue
 *   (sweep-newcomers.ts).
 *   This covers a node killed between its commit and its publish, and messages the bus lost; the
 *   agent dedupes by seq, so a re-send never runs an order twice. It also watches the store: when
 *   no sweep has succeeded for `storeLostAfterMs`, this node cannot reach the store (nor, then,
 *   the orders other nodes store for its agents), and it asks its agents to reconnect, to a node
 *   that can;
 * - the timers' lease (pg-lease.ts): order expiry runs on the lease holder only;
 * - the shared CA and enrollment password (shared-pki.ts), under the start-up lock.
 *
 * The store stays the source of truth: an agent's hello on any node sends what is queued for it.
 */
import type { ManagerStore } from '../core/orders/manager-store.js';
import type { BusHandlers, OrderBus } from '../cluster/order-bus.js';
import { createPgNotifyBus } from '../cluster/pg-notify-bus.js';
import { createNatsBus } from '../cluster/nats-bus.js';
import type { NatsAuth } from '../cluster/nats-auth.js';
import type { NatsTls } from '../cluster/nats-tls.js';
import { LeasedClock } from './cluster-lease.js';
import { STARTUP_LOCK_KEY, withPgLock } from '../cluster/pg-lock.js';
import { syncSharedEnrollment } from '../cluster/shared-pki.js';
import { SweepResends } from '../cluster/sweep-resends.js';
import { LateHandOffs, deliverHanded, resend, resendNewcomers } from './handed-orders.js';
import { SweepNewcomers } from '../cluster/sweep-newcomers.js';
import { BUS_KEY_SETTING, BusSeal } from '../cluster/bus-seal.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { BusRouting } from './bus-routing.js';
import type { DaemonLog } from '../log/daemon-log.js';
import type { ClusterHooks, ManagerContext } from '../manager/manager-context.js';
import { errorMessage } from '../protocol/error-message.js';

/**
 * Why a node on a shared (PostgreSQL) store runs no agent 000: it is per host, and in a shared store
 * each node would run the `location=server` orders it happened to store, on its own host. Refused
 * (CONFIG_INVALID) by the CLI and by startManagerRuntime, never silently switched off.
 */
export const LOCAL_AGENT_REFUSED =
  'is a cluster store and needs --no-local-agent: agent 000 belongs to one host, and each node would run ' +
  'the shared location=server orders it happened to store; enroll a `riposte agent` on a host that must respond';

export interface ClusterOptions {
  /** postgres://... of the shared store. */
  readonly storeUrl: string;
  /**
   * "postgres" (LISTEN/NOTIFY on the store's server, the default) or "nats://HOST:PORT[,...]"
   * ("tls://...": the same, TLS required).
   */
  readonly bus?: string;
  /** With a NATS bus: how to authenticate (cluster/nats-auth.ts). @default none */
  readonly natsAuth?: NatsAuth;
  /** With a NATS bus: TLS to it (cluster/nats-tls.ts). @default none */
  readonly natsTls?: NatsTls;
  /** @default 2000 */
  readonly sweepEveryMs?: number;
  /** @default 5000 */
  readonly staleAfterMs?: number;
  /** Agents re-checked per sweep. @default 200 */
  readonly sweepSlice?: number;
  /** Lease renew/try period; the lease's ttl is 5 periods (pg-lease.ts). @default 2000 */
  readonly leaseEveryMs?: number;
  /** No successful sweep for this long: the agents are sent to other nodes. @default 30000 */
  readonly storeLostAfterMs?: number;
}

export interface ClusterNode {
  /** For ManagerContext.cluster; hand-offs before `attach` are dropped (the sweep re-sends them). */
  readonly hooks: ClusterHooks;
  /**
   * Starts the timers' lease, whose renews read the database's clock (hooks.now), and resolves once
   * the first reading is in, or after FIRST_READING_MS (then logged: the node's own clock
   * until one comes). Called before the node listens, so that no order, agent presence or token
   * it stamps in its first moments carries its own clock; one renew's round trip.
   */
  startClock(log: DaemonLog): Promise<void>;
  /** Connects the bus (and the lease, if startClock did not) and starts the sweep, once the context exists. */
  attach(ctx: ManagerContext): Promise<void>;
  stop(): Promise<void>;
}

function busFor(opts: ClusterOptions, log: DaemonLog, seal: BusSeal): OrderBus {
  const onWarn = (t: string): void => {
    log.warn(t);
  };
  const bus = opts.bus ?? 'postgres';
  if (/^(nats|tls):\/\//i.test(bus)) {
    return createNatsBus({
      servers: bus,
      seal,
      onWarn,
      ...(opts.natsAuth ? { auth: opts.natsAuth } : {}),
      ...(opts.natsTls ? { tls: opts.natsTls } : {}),
    });
  }
  return createPgNotifyBus({ connectionString: opts.storeUrl, seal, onWarn });
}

/**
 * The cluster's bus seal, from the key the start-up step put in the store (shareEnrollment).
 * @throws RiposteError INTERNAL when the store has none (shareEnrollment did not run)
 */
async function busSealOf(store: Pick<ManagerStore, 'getSetting'>): Promise<BusSeal> {
  const key = await store.getSetting(BUS_KEY_SETTING);
  if (key === undefined) {
    throw new RiposteError(ErrorCode.INTERNAL, `No order bus key in the store (setting ${BUS_KEY_SETTING})`);
  }
  return new BusSeal(key);
}

/**
 * The sweep's timer (see the module comment). One sweep at a time: a tick while one is still
 * waiting on the store does nothing but check how long the store has not answered.
 */
function startSweep(
  ctx: ManagerContext,
  opts: ClusterOptions,
  on: {
    readonly onError: (err: unknown) => void;
    readonly onTick: () => void;
    readonly newcomers: SweepNewcomers;
  },
): NodeJS.Timeout {
  const { onError, onTick, newcomers } = on;
  const slice = opts.sweepSlice ?? 200;
  const lostAfter = opts.storeLostAfterMs ?? 30_000;
  let cursor = 0;
  let busy = false;
  let lastOk = ctx.now();
  const resends = new SweepResends();
  const timer = setInterval(() => {
    onTick(); // the bus routes' alive message (bus-routing.ts): this timer is the node's one
    const now = ctx.now();
    if (now - lastOk >= lostAfter) {
      lastOk = now; // asked again only after another period without the store
      const n = ctx.sessions.retryAll();
      ctx.log.warn(
        `Cluster node: no answer from the store for ${Math.round(lostAfter / 1000)} s; ${n} agent(s) asked to reconnect to another node.`,
      );
    }
    if (busy) {
      return;
    }
    const ids = ctx.sessions.readyIds();
    if (cursor >= ids.length) {
      cursor = 0; // a new round: what was re-sent to agents gone from this node is forgotten
      resends.retain(ids);
    }
    const part = ids.slice(cursor, cursor + slice);
    cursor += slice;
    busy = true;
    // The newcomers first (sweep-newcomers.ts: a hand-off may have gone to the node they left),
    // then the slice's stale orders; an order sent by the first is not sent again.
    resendNewcomers(ctx, newcomers.take(), resends)
      .then(() => resend(ctx, part, { before: now - (opts.staleAfterMs ?? 5_000), resends }))
      .then(() => {
        lastOk = ctx.now();
      }, onError)
      .finally(() => {
        busy = false;
      });
  }, opts.sweepEveryMs ?? 2_000);
  timer.unref();
  return timer;
}

type Report = (what: string) => (err: unknown) => void;

function routingFor(ctx: ManagerContext, bus: OrderBus, report: Report, late: LateHandOffs): BusRouting {
  return new BusRouting({
    bus,
    deliver: (orders) => deliverHanded(ctx, orders, late),
    holds: (id) => ctx.sessions.accepts(id),
    probe: (id) => {
      ctx.sessions.probe(id);
    },
    now: ctx.now,
    onError: report('hand-off delivery'),
  });
}

/** What the node does with the bus's messages: through its routes, and a resync from the store. */
function busHandlers(ctx: ManagerContext, r: BusRouting, report: Report): BusHandlers {
  return {
    onOrders: (orders, routed, from) => {
      r.received(orders, routed, from);
    },
    onRoutes: (node, change) => {
      r.learned(node, change);
    },
    onResync: () => {
      const ready = ctx.sessions.readyIds();
      r.resynced(ready);
      resend(ctx, ready).catch(report('resync'));
    },
  };
}

/** Builds the node's parts; nothing connects before `attach`. */
export function createClusterNode(opts: ClusterOptions, heartbeatMs: number): ClusterNode {
  let bus: OrderBus | undefined;
  let routing: BusRouting | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const newcomers = new SweepNewcomers();
  const leased = new LeasedClock(opts);
  const hooks: ClusterHooks = {
    now: leased.clock.now,
    clock: () => leased.clock.status(),
    handOff: (orders) => {
      routing?.handOff(orders); // a StoredOrder is a BusOrder: the bus reads agentId, seq, kind, payload, expiresAt
    },
    busTraffic: () => routing?.traffic(),
    isLeader: () => leased.isLeader(),
    connectedElsewhere: (agent, now) =>
      agent.lastSeen !== undefined && now - agent.lastSeen < 3 * heartbeatMs,
    greeted: (agentId, readAbove) => {
      newcomers.greeted(agentId, readAbove);
    },
  };
  let log: DaemonLog | undefined;
  const report: Report = (what) => (err) => {
    log?.error(`Cluster ${what} failed: ${errorMessage(err)}`);
  };
  return {
    hooks,
    startClock: (l) => leased.firstReading(l),
    async attach(ctx) {
      log = ctx.log;
      const seal = await busSealOf(ctx.store);
      leased.start(ctx.log);
      const b = busFor(opts, ctx.log, seal);
      bus = b;
      const late = new LateHandOffs((t) => {
        ctx.log.warn(t);
      }, ctx.now);
      const r = routingFor(ctx, b, report, late);
      // Before the bus is up: hand-offs and announcements made meanwhile wait in its outbox.
      // setWatch announces the agents greeted already (the link server listens before attach).
      routing = r;
      ctx.sessions.setWatch(r);
      await b.start(busHandlers(ctx, r, report));
      sweep = startSweep(ctx, opts, {
        newcomers,
        onError: report('sweep'),
        onTick: () => {
          r.tick();
          late.flush();
        },
      });
      ctx.log.info(`Cluster node: order bus ${b.kind}, timers by a lease in PostgreSQL.`);
    },
    async stop() {
      clearInterval(sweep);
      routing = undefined; // the sessions' watch may still announce: a closed bus drops it
      await bus?.close();
      await leased.stop();
    },
  };
}

/** Makes this node's CA and enrollment password the cluster's (under the start-up lock). */
export function shareEnrollment(p: {
  readonly storeUrl: string;
  readonly store: Pick<ManagerStore, 'getSetting' | 'setSetting'>;
  readonly pkiDir: string;
  readonly passwordFile: string;
  readonly log: DaemonLog;
}): Promise<void> {
  return withPgLock(p.storeUrl, STARTUP_LOCK_KEY, async () => {
    const r = await syncSharedEnrollment(p.store, p.pkiDir, p.passwordFile, Date.now());
    if (r === 'adopted') {
      p.log.info("Adopted the cluster's CA and enrollment password from the store.");
    } else if (r === 'published') {
      p.log.info("This node's CA and enrollment password are now the cluster's (stored).");
    }
  });
}
