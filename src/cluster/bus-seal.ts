/**
 * Every message on the order bus carries an HMAC-SHA-256 under the cluster's bus key, and a node
 * acts only on messages whose seal is right. A node sends a handed-over order's payload to the
 * agent as it came off the bus (the bus saves a store read per order), so without the seal anyone
 * able to publish there could make a node send its agents any order: on NATS, any client the
 * server lets publish on the stream's subjects; on PostgreSQL, any role that can connect to the
 * database (NOTIFY needs no other privilege). The key is a setting in the store, published by the
 * first node under the start-up lock (shared-pki.ts), so forging a message needs what reading the
 * store gives anyway (the CA key is there too).
 *
 * Wire form: the message as order-bus.ts / bus-routes.ts encode it, then SEAL_CHARS characters of
 * base64url MAC over it. Its first characters are unchanged, so a receiver still skips batches
 * routed to another node, and its own, before computing anything.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The store setting holding the bus key (base64url of 32 random bytes). */
export const BUS_KEY_SETTING = 'cluster_bus_key';

/** Characters of a seal: base64url of 32 bytes, unpadded. */
export const SEAL_CHARS = 43;

/** A new random bus key. */
export function newBusKey(): string {
  return randomBytes(32).toString('base64url');
}

/** True when `value` is a bus key as newBusKey makes them. */
export function isBusKey(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

export class BusSeal {
  private readonly key: Buffer;

  /** @throws Error when `key` is not a bus key (newBusKey) */
  constructor(key: string) {
    if (!isBusKey(key)) {
      throw new Error('The order bus key is malformed (setting cluster_bus_key)');
    }
    this.key = Buffer.from(key, 'base64url');
  }

  private mac(message: string): string {
    return createHmac('sha256', this.key).update(message, 'utf8').digest('base64url');
  }

  /** `message` followed by its seal. */
  seal(message: string): string {
    return message + this.mac(message);
  }

  /** The message `text` seals, or undefined when its seal is missing or wrong. */
  open(text: string): string | undefined {
    if (text.length < SEAL_CHARS) {
      return undefined;
    }
    const message = text.slice(0, -SEAL_CHARS);
    const given = Buffer.from(text.slice(-SEAL_CHARS), 'utf8');
    const expected = Buffer.from(this.mac(message), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected) ? message : undefined;
  }
}
