/**
 * The cluster bench's look at the nodes' own figures: `GET /metrics` of each node (HTTPS, the
 * REST API, as an operator's Prometheus reads it), reduced to what the order bus carried.
 */
import { request } from 'node:https';
import type { Fleet, Node } from './cluster-fleet.js';
import { errorMessage } from '../src/protocol/error-message.js';

function getMetrics(f: Fleet, node: Node): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: node.port,
        path: '/metrics',
        ca: f.ca,
        checkServerIdentity: () => undefined,
        headers: { authorization: `Bearer ${node.token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (res.statusCode === 200) {
            resolve(text);
          } else {
            reject(new Error(`GET /metrics: HTTP ${res.statusCode ?? 0}`));
          }
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('GET /metrics: no answer in 30 s')));
    req.on('error', reject);
    req.end();
  });
}

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
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
      const routed = sample(t, 'riposte_bus_orders_received_total{to="node"}');
      const all = sample(t, 'riposte_bus_orders_received_total{to="all"}');
      const forwarded = sample(t, 'riposte_bus_orders_forwarded_total');
      const routes = sample(t, 'riposte_bus_routes');
      return `node ${i}: ${routed} routed to it, ${all} to every node, ${forwarded} forwarded, ${routes} routes known`;
    })
    .join('; ');
}
