/**
 * The life of a durable order (one dispatch to one agent), as a pure state machine:
 *
 *   queued --ack--> delivered --execution--> executed --revert reported--> reverted
 *     \--(now > expiresAt)--> expired
 *
 * An order whose execution failed is still `executed` (the outcome is kept beside the state). A
 * revert order is `executed` when its delete ran. `reverted` is reached by an add order whose
 * response was later reverted (by its timeout, by a revert order, or found gone on reconcile).
 * Late or duplicated events (an ack after the execution, a second ack after a redelivery) are
 * no-ops, never errors: the link redelivers at least once, so every transition must be idempotent.
 *
 * Pure: no I/O, no clock (time is a parameter).
 */
import type { OrderState } from '../../protocol/fleet-records.js';

/** Events that move an order. */
export type OrderEvent =
  | { readonly type: 'ack' }
  | { readonly type: 'executed' }
  | { readonly type: 'reverted' }
  | { readonly type: 'expire-check'; readonly now: number };

/** The fields the state machine reads. */
export interface OrderClock {
  readonly state: OrderState;
  /** Epoch ms after which a still-queued order expires. */
  readonly expiresAt: number;
}

const RANK: Readonly<Record<OrderState, number>> = {
  queued: 0,
  delivered: 1,
  executed: 2,
  reverted: 3,
  expired: 4,
};

/** True when no further event can change the state. */
export function isTerminal(state: OrderState): boolean {
  return state === 'reverted' || state === 'expired';
}

/**
 * The state after `event`; the same state when the event does not apply (idempotent, late or
 * out-of-order events). Only a `queued` order can expire: once the agent holds it, the outcome
 * is the agent's to report.
 */
export function nextOrderState(order: OrderClock, event: OrderEvent): OrderState {
  const s = order.state;
  if (s === 'expired') {
    return s;
  }
  switch (event.type) {
    case 'expire-check':
      return s === 'queued' && pastTtl(order.expiresAt, event.now) ? 'expired' : s;
    case 'ack':
      return RANK[s] < RANK.delivered ? 'delivered' : s;
    case 'executed':
      return RANK[s] < RANK.executed ? 'executed' : s;
    case 'reverted':
      return 'reverted';
  }
}

/**
 * Whether an order expiring at `expiresAt` is past its time to live at `now` (the expire-check's
 * rule): a queued order then expires, and one not yet sent must not be sent any more.
 */
export function pastTtl(expiresAt: number, now: number): boolean {
  return now > expiresAt;
}

/** Expiry time of an order created at `createdAt` with a time-to-live of `ttlMs`. */
export function orderExpiresAt(createdAt: number, ttlMs: number): number {
  return createdAt + ttlMs;
}

/** Default order time-to-live: 24 h, in ms. */
export const DEFAULT_ORDER_TTL_MS = 24 * 60 * 60 * 1000;
