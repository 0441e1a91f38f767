/**
 * What a bus has yet to send (both buses, order-bus.ts): orders and route changes packed into
 * messages of at most `maxBytes` with their seal (bus-seal.ts), kept in order, bounded by queueBatches (the oldest dropped, and
 * the drop reported: the store keeps every order, the sweep re-sends them).
 */
import type { BusOrder } from './order-bus.js';
import { packBatches, queueBatches } from './order-bus.js';
import { packRoutes, type RouteChange } from './bus-routes.js';
import { SEAL_CHARS, type BusSeal } from './bus-seal.js';

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

  /** Bytes a message may take before its seal. */
  private readonly packBytes: number;

  constructor(
    private readonly node: string,
    private readonly limits: { readonly maxBytes: number; readonly maxPending: number },
    private readonly bus: OutboxBus,
    private readonly seal: BusSeal,
  ) {
    this.packBytes = limits.maxBytes - SEAL_CHARS;
  }

  /** OrderBus.publish: `orders` routed `to` one node, or to every node. */
  publish(orders: readonly BusOrder[], to?: string): void {
    this.add(packBatches(this.node, orders, this.packBytes, to));
  }

  /** OrderBus.announce. */
  announce(change: RouteChange): void {
    this.add(packRoutes(this.node, change, this.packBytes));
  }

  private add(messages: readonly string[]): void {
    if (messages.length === 0 || this.bus.isClosed()) {
      return;
    }
    const sealed = messages.map((m) => this.seal.seal(m));
    const dropped = queueBatches(this.pending, sealed, this.limits);
    if (dropped > 0) {
      this.bus.dropped(dropped);
    }
    this.bus.flush();
  }
}
