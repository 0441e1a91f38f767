import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type OrderState } from '../../src/protocol/fleet-records.js';
import {
  isTerminal,
  nextOrderState,
  orderExpiresAt,
  type OrderEvent,
} from '../../src/core/orders/order-state.js';

const EXPIRES = 1_000;
const cases: readonly [OrderState, OrderEvent, OrderState][] = [
  ['queued', { type: 'ack' }, 'delivered'],
  ['queued', { type: 'executed' }, 'executed'], // execution report overtook the ack
  ['queued', { type: 'expire-check', now: EXPIRES }, 'queued'], // not past expiry yet
  ['queued', { type: 'expire-check', now: EXPIRES + 1 }, 'expired'],
  ['delivered', { type: 'ack' }, 'delivered'], // redelivery re-ack
  ['delivered', { type: 'executed' }, 'executed'],
  ['delivered', { type: 'expire-check', now: EXPIRES + 1 }, 'delivered'], // the agent holds it
  ['executed', { type: 'ack' }, 'executed'], // late ack
  ['executed', { type: 'executed' }, 'executed'],
  ['executed', { type: 'reverted' }, 'reverted'],
  ['reverted', { type: 'ack' }, 'reverted'],
  ['reverted', { type: 'executed' }, 'reverted'],
  ['expired', { type: 'ack' }, 'expired'],
  ['expired', { type: 'executed' }, 'expired'],
  ['expired', { type: 'reverted' }, 'expired'],
];

describe('order state machine', () => {
  for (const [from, event, to] of cases) {
    test(`${from} + ${event.type}${event.type === 'expire-check' ? `@${event.now}` : ''} -> ${to}`, () => {
      assert.equal(nextOrderState({ state: from, expiresAt: EXPIRES }, event), to);
    });
  }

  test('terminal states', () => {
    assert.deepEqual(
      (['queued', 'delivered', 'executed', 'reverted', 'expired'] as const).filter(isTerminal),
      ['reverted', 'expired'],
    );
  });

  test('expiry time is creation + ttl', () => {
    assert.equal(orderExpiresAt(5_000, 250), 5_250);
  });
});
