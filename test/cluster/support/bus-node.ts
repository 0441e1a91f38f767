/**
 * One order-bus node for the bus tests (order-bus.test.ts, nats-outage.test.ts): a started bus
 * and what it received, routed or not, route changes and resyncs; and a small order to send.
 */
import type { BusOrder, OrderBus, RouteChange } from '../../../src/cluster/order-bus.js';

export interface BusNode {
  readonly bus: OrderBus;
  readonly got: BusOrder[];
  /** Per order received, whether it came routed to this node alone. */
  readonly routed: boolean[];
  readonly routes: { node: string; change: RouteChange }[];
  resyncs: number;
}

/** Starts the bus `make` returns and records what reaches it. */
export async function busNode(make: () => OrderBus): Promise<BusNode> {
  const n: BusNode = { bus: make(), got: [], routed: [], routes: [], resyncs: 0 };
  await n.bus.start({
    onOrders: (o, routed) => {
      n.got.push(...o);
      n.routed.push(...o.map(() => routed));
    },
    onRoutes: (from, change) => n.routes.push({ node: from, change }),
    onResync: () => {
      n.resyncs++;
    },
  });
  return n;
}

/** An add for agent 001 with order number `seq`. */
export const busOrder = (seq: number, payload = `{"seq":${seq}}`): BusOrder => ({
  agentId: '001',
  seq,
  kind: 'add',
  payload,
});
