/**
 * What a bus has yet to send (both buses, order-bus.ts): orders and route changes packed into
 * messages of at most `maxBytes`, kept in order, bounded by queueBatches (the oldest dropped, and
 * the drop reported: the store keeps every order, the sweep re-sends them).
 */
import type { BusOrder } from './order-bus.js';
import { packBatches, queueBatches } from './order-bus.js';
import { packRoutes, type RouteChange } from './bus-routes.js';

/** What the outbox asks of its bus. */
export interface OutboxBus {
  /** Closed: nothing more is queued. */
  isClosed(): boolean;
  /** Sends what is pending, as the bus can. */
  flush(): void;
  /** `count` messages were dropped (the oldest) to stay within the bounds. */
  dropped(count: number): void;
}

export class BusOutbox {
  /** The messages waiting, oldest first; the bus takes from the front and puts back what failed. */
  readonly pending: string[] = [];

  constructor(
    private readonly node: string,
    private readonly limits: { readonly maxBytes: number; readonly maxPending: number },
    private readonly bus: OutboxBus,
  ) {}

  /** OrderBus.publish: `orders` routed `to` one node, or to every node. */
  publish(orders: readonly BusOrder[], to?: string): void {
    this.add(packBatches(this.node, orders, this.limits.maxBytes, to));
  }

  /** OrderBus.announce. */
  announce(change: RouteChange): void {
    this.add(packRoutes(this.node, change, this.limits.maxBytes));
  }

  private add(messages: readonly string[]): void {
    if (messages.length === 0 || this.bus.isClosed()) {
      return;
    }
    const dropped = queueBatches(this.pending, messages, this.limits);
    if (dropped > 0) {
      this.bus.dropped(dropped);
    }
    this.bus.flush();
  }
}
