/**
 * What both buses do with a message they received (order-bus.ts): decode it and hand it to the
 * node's handlers. Own messages, batches routed to another node and malformed messages are
 * dropped here.
 */
import type { BusHandlers } from './order-bus.js';
import { decodeMessage } from './order-bus.js';

export function receive(text: string, self: string, handlers: BusHandlers): void {
  const m = decodeMessage(text, self);
  if (m?.type === 'orders' && m.orders.length > 0) {
    handlers.onOrders(m.orders, m.routed, m.from);
  } else if (m?.type === 'routes') {
    handlers.onRoutes?.(m.node, m.change);
  }
}
