/**
 * Prometheus metrics: every metric is exposed by `GET /metrics`, counters follow the service's
 * events, gauges its stats at scrape time, and two registries never share state.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ManagerMetrics } from '../../src/manager/metrics.js';
import { apiFixture } from './api-fixture.js';
import { FakeManagerService, execution } from './fake-manager-service.js';
import { promSample as sample } from '../support/prom-sample.js';

const METRICS = [
  'riposte_alerts_ingested_total',
  'riposte_responses_fired_total',
  'riposte_orders',
  'riposte_executions_total',
  'riposte_active_responses',
  'riposte_agents_connected',
  'riposte_dispatch_latency_seconds',
  'riposte_link_backlog_frames',
  'riposte_link_backlog_bytes',
  'riposte_link_paused_agents',
  'riposte_link_read_pauses_total',
  'riposte_bus_orders_received_total',
  'riposte_bus_orders_forwarded_total',
  'riposte_bus_routes',
  'riposte_cluster_clock_skew_seconds',
];

void describe('manager metrics', () => {
  void test('GET /metrics exposes every metric with its TYPE, fed by events and stats', async () => {
    const f = await apiFixture();
    try {
      f.service.emit({ type: 'alert-ingested', count: 3 });
      f.service.emit({ type: 'response-fired', command: 'firewall-drop600', count: 1 });
      f.service.emit({ type: 'response-fired', command: 'firewall-drop600', count: 1 });
      f.service.emit({ type: 'response-fired', command: 'host-deny', count: 3 });
      f.service.emit({ type: 'execution', agentId: '001', status: 'ok', execution: execution('001', 1) });
      f.service.emit({
        type: 'execution',
        agentId: '001',
        status: 'timed-out',
        execution: { ...execution('001', 2), status: 'timed-out' },
      });
      f.service.emit({ type: 'dispatch-latency', agentId: '001', ms: 40 });
      f.service.emit({ type: 'order-state', agentId: '001', seq: 1, state: 'delivered' });
      f.service.emit({ type: 'agent-connection', agentId: '001', connected: true });
      const res = await f.app.inject({ method: 'GET', url: '/metrics', headers: f.auth('read') });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /^text\/plain/);
      for (const name of METRICS) {
        assert.match(res.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
      }
      const stats = f.service.statsValue;
      assert.equal(sample(res.body, 'riposte_alerts_ingested_total'), 3);
      assert.equal(sample(res.body, 'riposte_responses_fired_total{command="firewall-drop600"}'), 2);
      assert.equal(sample(res.body, 'riposte_responses_fired_total{command="host-deny"}'), 3);
      assert.equal(sample(res.body, 'riposte_executions_total{status="ok"}'), 1);
      assert.equal(sample(res.body, 'riposte_executions_total{status="timed-out"}'), 1);
      for (const [state, n] of Object.entries(stats.ordersByState)) {
        assert.equal(sample(res.body, `riposte_orders{state="${state}"}`), n, state);
      }
      assert.equal(sample(res.body, 'riposte_active_responses'), stats.activeResponses);
      assert.equal(sample(res.body, 'riposte_agents_connected'), stats.connectedAgents);
      assert.equal(sample(res.body, 'riposte_link_backlog_frames'), stats.linkBacklog.frames);
      assert.equal(sample(res.body, 'riposte_link_backlog_bytes'), stats.linkBacklog.bytes);
      assert.equal(sample(res.body, 'riposte_link_paused_agents'), stats.linkBacklog.pausedAgents);
      assert.equal(sample(res.body, 'riposte_link_read_pauses_total'), stats.linkBacklog.pauses);
      assert.equal(sample(res.body, 'riposte_dispatch_latency_seconds_count'), 1);
      assert.equal(sample(res.body, 'riposte_dispatch_latency_seconds_sum'), 0.04);
      assert.equal(sample(res.body, 'riposte_dispatch_latency_seconds_bucket{le="0.05"}'), 1);
      assert.equal(sample(res.body, 'riposte_dispatch_latency_seconds_bucket{le="0.025"}'), 0);
    } finally {
      await f.close();
    }
  });

  void test('gauges are read at scrape time', async () => {
    const service = new FakeManagerService();
    const metrics = new ManagerMetrics();
    metrics.attach(service);
    service.statsValue = { ...service.statsValue, connectedAgents: 42 };
    assert.equal(sample(await metrics.render(), 'riposte_agents_connected'), 42);
    service.statsValue = { ...service.statsValue, connectedAgents: 7 };
    assert.equal(sample(await metrics.render(), 'riposte_agents_connected'), 7);
  });

  void test("a cluster node's order bus traffic; zero on a single manager", async () => {
    const service = new FakeManagerService();
    const metrics = new ManagerMetrics();
    metrics.attach(service);
    const single = await metrics.render();
    assert.equal(sample(single, 'riposte_bus_orders_received_total{to="node"}'), 0);
    assert.equal(sample(single, 'riposte_bus_routes'), 0);
    service.statsValue = {
      ...service.statsValue,
      bus: { routed: 120, broadcast: 7, forwarded: 3, routes: 4_999 },
    };
    const node = await metrics.render();
    assert.equal(sample(node, 'riposte_bus_orders_received_total{to="node"}'), 120);
    assert.equal(sample(node, 'riposte_bus_orders_received_total{to="all"}'), 7);
    assert.equal(sample(node, 'riposte_bus_orders_forwarded_total'), 3);
    assert.equal(sample(node, 'riposte_bus_routes'), 4_999);
  });

  void test("a cluster node's clock against the cluster's, in seconds; zero on a single manager", async () => {
    const service = new FakeManagerService();
    const metrics = new ManagerMetrics();
    metrics.attach(service);
    assert.equal(sample(await metrics.render(), 'riposte_cluster_clock_skew_seconds'), 0);
    service.statsValue = { ...service.statsValue, clock: { skewMs: -2_500, uncertaintyMs: 1 } };
    assert.equal(sample(await metrics.render(), 'riposte_cluster_clock_skew_seconds'), -2.5);
  });

  void test('two registries do not share counters, and detaching stops the feed', async () => {
    const service = new FakeManagerService();
    const a = new ManagerMetrics();
    const b = new ManagerMetrics();
    const detachA = a.attach(service);
    service.emit({ type: 'alert-ingested', count: 2 });
    detachA();
    service.emit({ type: 'alert-ingested', count: 5 });
    assert.equal(sample(await a.render(), 'riposte_alerts_ingested_total'), 2);
    assert.equal(sample(await b.render(), 'riposte_alerts_ingested_total'), 0);
    assert.equal(sample(await a.render(), 'riposte_agents_connected'), 0, 'no stats once detached');
  });
});
