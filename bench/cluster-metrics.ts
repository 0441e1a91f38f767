/**
 * The cluster bench's look at the nodes' own figures: `GET /metrics` of each node (HTTPS, the
 * REST API, as an operator's Prometheus reads it), reduced to what the order bus carried.
 */
import { nodeRequest, type Fleet, type Node } from './cluster-fleet.js';
import { promSample } from '../test/support/prom-sample.js';
import { errorMessage } from '../src/protocol/error-message.js';

function getMetrics(f: Fleet, node: Node): Promise<string> {
  return nodeRequest(f, node, { method: 'GET', path: '/metrics', timeoutMs: 30_000 });
}

/**
 * One line per node: orders received from the bus routed to it alone and sent to every node,
 * forwarded (routed there, agent not there), and how many agents' nodes it knows. Counts since
 * the node started.
 */
export async function busTraffic(f: Fleet): Promise<string> {
  // A node the failover phase killed does not answer: said so, not a failure of the phase.
  const texts = await Promise.all(f.nodes.map((n) => getMetrics(f, n).catch((err: unknown) => err)));
  return texts
    .map((t, i) => {
      if (typeof t !== 'string') {
        return `node ${i}: no answer (${errorMessage(t)})`;
      }
      const sample = (name: string): number => promSample(t, name) ?? NaN;
      const routed = sample('riposte_bus_orders_received_total{to="node"}');
      const all = sample('riposte_bus_orders_received_total{to="all"}');
      const forwarded = sample('riposte_bus_orders_forwarded_total');
      const routes = sample('riposte_bus_routes');
      return `node ${i}: ${routed} routed to it, ${all} to every node, ${forwarded} forwarded, ${routes} routes known`;
    })
    .join('; ');
}
