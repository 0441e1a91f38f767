/**
 * The manager's Prometheus metrics on a private prom-client registry (never the global default
 * one, so two managers in one process, e.g. in tests, do not share counters).
 *
 * Counters and the latency histogram are fed by the service's events; gauges (orders by state,
 * active responses, connected agents) are read from `service.stats()` at scrape time, so they are
 * always exact and survive a restart without replaying history.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { rejectionCounts } from '../protocol/input-rejections.js';
import { ORDER_STATES } from '../protocol/fleet-records.js';
import type { LinkBacklog, ManagerEvent, ManagerService, ManagerStats } from './manager-service.js';
import { defineStorageGauges } from '../log/storage-metrics.js';

/**
 * Latency buckets in seconds: sub-millisecond on loopback up to the 1 s p99 target and beyond,
 * because an order for an offline agent is acked only on reconnect (minutes to hours).
 */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600];

export class ManagerMetrics {
  /** The registry `GET /metrics` renders. */
  readonly registry = new Registry();
  private readonly alerts: Counter;
  private readonly fired: Counter<'command'>;
  private readonly executions: Counter<'status'>;
  private readonly latency: Histogram;
  private readonly pruned: Counter<'kind'>;
  private readonly unrecorded: Counter;
  private stats: () => Promise<ManagerStats | undefined> = () => Promise.resolve(undefined);

  constructor() {
    const registers = [this.registry];
    this.alerts = new Counter({
      name: 'riposte_alerts_ingested_total',
      help: 'Alerts parsed and matched',
      registers,
    });
    this.fired = new Counter({
      name: 'riposte_responses_fired_total',
      help: 'Responses dispatched (one per alert and AR rule), by AR command',
      labelNames: ['command'],
      registers,
    });
    this.executions = new Counter({
      name: 'riposte_executions_total',
      help: 'Executions reported by agents, by outcome',
      labelNames: ['status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'riposte_dispatch_latency_seconds',
      help: "Time from an alert's ingestion (or an API run) to the agent's acknowledgement of the order",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.pruned = new Counter({
      name: 'riposte_history_pruned_total',
      help: 'History deleted from the store by age, by kind: orders and executions (past --history), audit (API audit entries past --audit-history)',
      labelNames: ['kind'],
      registers,
    });
    this.unrecorded = new Counter({
      name: 'riposte_audit_unrecorded_total',
      help: 'Refused API requests without a valid token not written to the audit trail one by one (over the per-source or overall rate; summarised in the log)',
      registers,
    });
    this.defineGauges();
  }

  /** Feeds the metrics from `service`; returns the function that detaches them. */
  attach(service: ManagerService): () => void {
    this.stats = () => service.stats();
    const off = service.onEvent((e) => {
      this.record(e);
    });
    return () => {
      off();
      this.stats = () => Promise.resolve(undefined);
    };
  }

  /** Updates counters and the histogram for one event. Never throws. */
  record(event: ManagerEvent): void {
    switch (event.type) {
      case 'alert-ingested':
        this.alerts.inc(event.count);
        return;
      case 'response-fired':
        this.fired.inc({ command: event.command }, event.count);
        return;
      case 'execution':
        this.executions.inc({ status: event.status });
        return;
      case 'dispatch-latency':
        this.latency.observe(Math.max(0, event.ms) / 1000);
        return;
      case 'history-pruned':
        this.pruned.inc({ kind: 'orders' }, event.orders);
        this.pruned.inc({ kind: 'executions' }, event.executions);
        return;
      case 'order-state':
      case 'agent-connection':
      case 'active':
      case 'active-list':
        return; // gauges: read from stats() at scrape time
    }
  }

  /** `count` audit entries deleted past their retention (manager-api/audit-pruner.ts). */
  auditPruned(count: number): void {
    this.pruned.inc({ kind: 'audit' }, count);
  }

  /** A refused request without a valid token that the audit trail did not record (anonymous-audit-limit.ts). */
  auditUnrecorded(): void {
    this.unrecorded.inc();
  }

  /** The link backlog's gauges and its pauses' counter (frame-backlog.ts, read-pauses.ts). */
  private defineLinkBacklog(stats: () => Promise<ManagerStats | undefined>): void {
    const registers = [this.registry];
    const gauges: [string, string, (b: LinkBacklog) => number][] = [
      [
        'riposte_link_backlog_frames',
        "Agents' link frames received and waiting for the store on this node",
        (b) => b.frames,
      ],
      [
        'riposte_link_backlog_bytes',
        "Bytes of agents' link frames waiting for the store on this node",
        (b) => b.bytes,
      ],
      [
        'riposte_link_paused_agents',
        'Agents not being read now: their frames filled the backlog (backpressure)',
        (b) => b.pausedAgents,
      ],
    ];
    for (const [name, help, value] of gauges) {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const b = (await stats())?.linkBacklog;
          this.set(b === undefined ? 0 : value(b));
        },
      });
    }
    new Counter({
      name: 'riposte_link_read_pauses_total',
      help: 'Times an agent stopped being read because its frames filled the backlog (backpressure; read again when the store catches up)',
      registers,
      async collect() {
        this.reset();
        this.inc((await stats())?.linkBacklog.pauses ?? 0);
      },
    });
  }

  /** A cluster node's order bus traffic (runtime/bus-routing.ts); zero on a single manager. */
  private defineBusTraffic(stats: () => Promise<ManagerStats | undefined>): void {
    const registers = [this.registry];
    new Counter({
      name: 'riposte_bus_orders_received_total',
      help: "Orders received from the cluster's order bus by this node: routed to it alone (to=node) or sent to every node (to=all)",
      labelNames: ['to'],
      registers,
      async collect() {
        const b = (await stats())?.bus;
        this.reset();
        this.inc({ to: 'node' }, b?.routed ?? 0);
        this.inc({ to: 'all' }, b?.broadcast ?? 0);
      },
    });
    new Counter({
      name: 'riposte_bus_orders_forwarded_total',
      help: 'Orders routed to this node for an agent whose link it did not hold, sent on to every node',
      registers,
      async collect() {
        this.reset();
        this.inc((await stats())?.bus?.forwarded ?? 0);
      },
    });
    new Gauge({
      name: 'riposte_bus_routes',
      help: 'Agents whose link this node knows to be on another node (orders for them are routed there alone)',
      registers,
      async collect() {
        this.set((await stats())?.bus?.routes ?? 0);
      },
    });
    new Gauge({
      name: 'riposte_cluster_clock_skew_seconds',
      help: "This node's wall clock minus the cluster's (its PostgreSQL's, which order and agent times use), s; 0 on a single manager and before the first reading",
      registers,
      async collect() {
        this.set(((await stats())?.clock?.skewMs ?? 0) / 1000);
      },
    });
  }

  /** The Prometheus text exposition. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private defineGauges(): void {
    const registers = [this.registry];
    new Counter({
      name: 'riposte_input_rejected_total',
      help: 'Outside inputs refused at an entry point (execq, link, api, alert lines, alerts-file, connection), by reason (too-large, too-deep, invalid, poison, rate-limited); process-wide',
      labelNames: ['entry', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const r of rejectionCounts()) {
          this.inc({ entry: r.entry, reason: r.reason }, r.count);
        }
      },
    });
    // One store read per scrape, shared by the gauges collected together (prom-client awaits them).
    let reading: Promise<ManagerStats | undefined> | undefined;
    const stats = (): Promise<ManagerStats | undefined> =>
      (reading ??= this.stats().finally(() => {
        reading = undefined;
      }));
    new Gauge({
      name: 'riposte_orders',
      help: 'Orders in the manager store, by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const s = await stats();
        for (const state of ORDER_STATES) {
          this.set({ state }, s?.ordersByState[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'riposte_active_responses',
      help: 'Active responses across the fleet, as last reported by the agents',
      registers,
      async collect() {
        this.set((await stats())?.activeResponses ?? 0);
      },
    });
    defineStorageGauges(registers);
    this.defineLinkBacklog(stats);
    this.defineBusTraffic(stats);
    new Gauge({
      name: 'riposte_agents_connected',
      help: 'Agents with an open link',
      registers,
      async collect() {
        this.set((await stats())?.connectedAgents ?? 0);
      },
    });
  }
}
