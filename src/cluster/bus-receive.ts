/**
 * What both buses do with a message they received (order-bus.ts): skip it when it is not for this
 * node (by its first characters), check its seal (bus-seal.ts), decode it and hand it to the
 * node's handlers. Own messages, batches routed to another node and malformed messages are
 * dropped silently; a message with a missing or wrong seal is dropped and reported: one warning
 * per 10 s at most, with how many since the last.
 */
import type { BusHandlers } from './order-bus.js';
import { addressedTo, decodeMessage } from './order-bus.js';
import type { BusSeal } from './bus-seal.js';

/** At most one warning about unsealed messages per this many ms. */
export const UNSEALED_WARN_MS = 10_000;

export class BusReceiver {
  private unsealed = 0;
  private warnedAt = -Infinity;

  constructor(
    private readonly self: string,
    private readonly seal: BusSeal,
    private readonly warn: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  receive(text: string, handlers: BusHandlers): void {
    if (!addressedTo(text, this.self)) {
      return;
    }
    const message = this.seal.open(text);
    if (message === undefined) {
      this.refuse();
      return;
    }
    const m = decodeMessage(message, this.self);
    if (m?.type === 'orders' && m.orders.length > 0) {
      handlers.onOrders(m.orders, m.routed, m.from);
    } else if (m?.type === 'routes') {
      handlers.onRoutes?.(m.node, m.change);
    }
  }

  private refuse(): void {
    this.unsealed++;
    const now = this.now();
    if (now - this.warnedAt >= UNSEALED_WARN_MS) {
      this.warnedAt = now;
      this.warn(
        `Order bus: ${this.unsealed} message(s) without a valid seal dropped (not sent by a node of ` +
          "this cluster: another cluster's nodes on the same bus, or a forgery).",
      );
      this.unsealed = 0;
    }
  }
}
