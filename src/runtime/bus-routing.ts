/**
 * A cluster node's side of the order bus's routes (cluster/bus-routes.ts): it hands an order to
 * the node holding its agent's link when it knows that node (and has heard from it lately), to
 * every node otherwise; it delivers what it receives to the agents it holds, sends on to every
 * node what was routed to it for an agent it does not hold (the agent moved, or went offline) and
 * says it does not hold it; and it announces the links it takes and lets go, so the other nodes
 * learn where to route. An order sent to every node that finds its agent here is announced too (at
 * most once per agent per REPLY_EVERY_MS): a node that started after the agent's hello learns it
 * that way. Every ALIVE_EVERY_MS it says it is alive, so the others stop routing to a node that
 * died without releasing its agents. When another node says it holds an agent whose link is held
 * here too, the link here is probed (AgentSessions.probe): an agent has one link at a time, so
 * this one is likely half-open (the agent reconnected elsewhere without this node seeing a close),
 * and a half-open link would otherwise keep taking that agent's orders, and win back its route,
 * until the heartbeat's dead-peer limit.
 */
import type { BusOrder, OrderBus } from '../cluster/order-bus.js';
import {
  ALIVE_EVERY_MS,
  BusRoutes,
  RouteChanges,
  type BusTraffic,
  type RouteChange,
} from '../cluster/bus-routes.js';
import type { SessionWatch } from '../manager/agent-sessions.js';

/** An agent found here by an order sent to every node is announced again after this long at most. */
export const REPLY_EVERY_MS = 5_000;

export interface BusRoutingDeps {
  readonly bus: OrderBus;
  /** Sends orders to the agents held here; resolves with those whose agent is not held here. */
  readonly deliver: (orders: readonly BusOrder[]) => Promise<BusOrder[]>;
  /** Whether this node holds `agentId`'s link now (AgentSessions.accepts). */
  readonly holds: (agentId: string) => boolean;
  /** Checks that the link held here for `agentId` is alive (AgentSessions.probe). */
  readonly probe: (agentId: string) => void;
  readonly now: () => number;
  readonly onError: (err: unknown) => void;
}

export class BusRouting implements SessionWatch {
  private readonly routes = new BusRoutes();
  private readonly changes = new RouteChanges();
  /** When each agent held here was last announced (bounded by the agents held here). */
  private readonly announced = new Map<string, number>();
  private announcing = false;
  private lastAlive = -Infinity;
  private counts = { routed: 0, broadcast: 0, forwarded: 0 };

  constructor(private readonly deps: BusRoutingDeps) {}

  /** Orders just committed whose agent is not ready here. */
  handOff(orders: readonly BusOrder[]): void {
    for (const [to, part] of this.routes.split(orders, this.deps.now())) {
      this.deps.bus.publish(part, to);
    }
  }

  /** Orders from node `from` (BusHandlers.onOrders). */
  received(orders: readonly BusOrder[], routed: boolean, from: string): void {
    this.routes.heardFrom(from, this.deps.now());
    if (routed) {
      this.counts.routed += orders.length;
    } else {
      this.counts.broadcast += orders.length;
    }
    this.deps.deliver(orders).then((missed) => {
      if (routed) {
        this.forward(missed);
      } else {
        this.reply(orders);
      }
    }, this.deps.onError);
  }

  /** Another node's announcement (BusHandlers.onRoutes). */
  learned(node: string, change: RouteChange): void {
    this.routes.heardFrom(node, this.deps.now());
    this.routes.apply(node, change);
    for (const id of change.held) {
      if (this.deps.holds(id)) {
        this.deps.probe(id); // held there and here: is the link here still alive?
      }
    }
  }

  /**
   * This node's bus was down: what it missed may have moved agents, and what it announced may have
   * been dropped. Everything goes to every node until learned again, and `held` (the agents held
   * here) is announced again.
   */
  resynced(held: readonly string[]): void {
    this.routes.clear();
    for (const id of held) {
      this.note(id, true);
    }
  }

  /** Called every few seconds (the sweep's timer): says this node is alive every ALIVE_EVERY_MS. */
  tick(): void {
    const now = this.deps.now();
    if (now - this.lastAlive >= ALIVE_EVERY_MS) {
      this.lastAlive = now;
      this.deps.bus.announce({ held: [], released: [] });
    }
  }

  accepting(agentId: string): void {
    this.note(agentId, true);
  }

  gone(agentId: string): void {
    this.announced.delete(agentId);
    this.note(agentId, false);
  }

  traffic(): BusTraffic {
    return { ...this.counts, routes: this.routes.size };
  }

  /** Routed here, agents not here: on to every node, and the route to this node released. */
  private forward(missed: readonly BusOrder[]): void {
    if (missed.length === 0) {
      return;
    }
    this.counts.forwarded += missed.length;
    this.deps.bus.publish(missed);
    for (const id of new Set(missed.map((o) => o.agentId))) {
      if (!this.deps.holds(id)) {
        this.note(id, false); // only a route to this node is dropped by it (BusRoutes.apply)
      }
    }
  }

  /** Sent to every node: the agents held here (now, after delivery) are announced, once per period. */
  private reply(orders: readonly BusOrder[]): void {
    const now = this.deps.now();
    for (const o of orders) {
      const last = this.announced.get(o.agentId);
      if (this.deps.holds(o.agentId) && (last === undefined || now - last >= REPLY_EVERY_MS)) {
        this.note(o.agentId, true);
      }
    }
  }

  /** Collects this turn's changes into one announcement (a batch of hellos makes one message). */
  private note(agentId: string, held: boolean): void {
    if (held) {
      this.announced.set(agentId, this.deps.now());
    }
    this.changes.note(agentId, held);
    if (this.announcing) {
      return;
    }
    this.announcing = true;
    queueMicrotask(() => {
      this.announcing = false;
      this.lastAlive = this.deps.now(); // any announcement says the node is alive
      this.deps.bus.announce(this.changes.take());
    });
  }
}
