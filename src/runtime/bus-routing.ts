/**
 * A cluster node's side of the order bus's routes (cluster/bus-routes.ts): it hands an order to
 * the node holding its agent's link when it knows that node, to every node otherwise; it delivers
 * what it receives to the agents it holds, sends on to every node what was routed to it for an
 * agent it does not hold (the agent moved, or went offline), and announces the links it takes and
 * lets go, so the other nodes learn where to route. An order sent to every node that finds its
 * agent here is announced too: a node that started after the agent's hello learns it that way.
 */
import type { BusOrder, OrderBus } from '../cluster/order-bus.js';
import { BusRoutes, RouteChanges, type BusTraffic, type RouteChange } from '../cluster/bus-routes.js';
import type { SessionWatch } from '../manager/agent-sessions.js';

export class BusRouting implements SessionWatch {
  private readonly routes = new BusRoutes();
  private readonly changes = new RouteChanges();
  private announcing = false;
  private counts = { routed: 0, broadcast: 0, forwarded: 0 };

  /** `deliver` sends orders to the agents held here and returns those whose agent is not. */
  constructor(
    private readonly bus: OrderBus,
    private readonly deliver: (orders: readonly BusOrder[]) => Promise<BusOrder[]>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Orders just committed whose agent is not ready here. */
  handOff(orders: readonly BusOrder[]): void {
    for (const [to, part] of this.routes.split(orders)) {
      this.bus.publish(part, to);
    }
  }

  /** Orders from the bus (BusHandlers.onOrders). */
  received(orders: readonly BusOrder[], routed: boolean): void {
    if (routed) {
      this.counts.routed += orders.length;
    } else {
      this.counts.broadcast += orders.length;
    }
    this.deliver(orders).then((missed) => {
      if (routed && missed.length > 0) {
        this.counts.forwarded += missed.length;
        this.bus.publish(missed);
      } else if (!routed && missed.length < orders.length) {
        const away = new Set(missed.map((o) => o.agentId));
        for (const o of orders) {
          if (!away.has(o.agentId)) {
            this.note(o.agentId, true);
          }
        }
      }
    }, this.onError);
  }

  /** Another node's announcement (BusHandlers.onRoutes). */
  learned(node: string, change: RouteChange): void {
    this.routes.apply(node, change);
  }

  /** This node's bus was down: what it missed may have moved agents; everything goes to every node until learned again. */
  forget(): void {
    this.routes.clear();
  }

  accepting(agentId: string): void {
    this.note(agentId, true);
  }

  gone(agentId: string): void {
    this.note(agentId, false);
  }

  traffic(): BusTraffic {
    return { ...this.counts, routes: this.routes.size };
  }

  /** Collects this turn's changes into one announcement (a batch of hellos makes one message). */
  private note(agentId: string, held: boolean): void {
    this.changes.note(agentId, held);
    if (this.announcing) {
      return;
    }
    this.announcing = true;
    queueMicrotask(() => {
      this.announcing = false;
      this.bus.announce(this.changes.take());
    });
  }
}
