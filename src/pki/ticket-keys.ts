/**
 * TLS session resumption across the nodes of a cluster: every node encrypts its session tickets
 * with the same key, derived from one secret (`<home>/etc/pki/ticket.key`, shared through the store
 * like the CA: src/cluster/shared-pki.ts), so an agent whose node died resumes its TLS session on
 * another node instead of a full handshake (no certificate signatures to make or verify: about half
 * the handshake's CPU on both sides, which matters when 1,666 agents reconnect at once).
 *
 * Rotation: the key in use is derived (HKDF-SHA-256) from the secret and the current epoch
 * (TICKET_EPOCH_MS, aligned on the Unix epoch), so every node switches at the same instant without
 * talking to the others, and a ticket is usable for at most one epoch (the TLS session lifetime is
 * the epoch too). A ticket from an earlier epoch, from another cluster, or made before the secret
 * changed simply does not decrypt: the handshake falls back to a full one (certificates verified).
 *
 * What resumption keeps: the resumed session carries the client certificate verified at the full
 * handshake (OpenSSL stores it in the ticket), so the link still maps the agent by certificate
 * fingerprint, and still looks that fingerprint up in the store on every connection: a removed
 * agent is refused (4403) whether it resumes or not. The session id context binds tickets to the
 * cluster's CA. TLS 1.3 resumption runs in psk_dhe_ke mode (OpenSSL's default): a fresh ECDHE per
 * connection, so a leaked ticket key does not decrypt recorded traffic. Whoever reads the store can
 * mint agent certificates with the CA key anyway; the ticket secret adds no new power.
 */
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A ticket key epoch (and the TLS session lifetime): 24 hours. */
export const TICKET_EPOCH_MS = 86_400_000;

/** The server's session lifetime, in seconds (Node's `sessionTimeout`). */
export const TICKET_LIFETIME_S = TICKET_EPOCH_MS / 1000;

/** 32 random bytes, hex: a new ticket secret. */
export function newTicketSecret(): string {
  return randomBytes(32).toString('hex');
}

/** True for a well-formed secret (64 hex digits). */
export function isTicketSecret(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/** The epoch `now` falls in. */
export function ticketEpoch(now: number): number {
  return Math.floor(now / TICKET_EPOCH_MS);
}

/**
 * The 48 bytes Node's `ticketKeys` takes (16 key name, 16 HMAC key, 16 AES key) for the epoch of
 * `now`: the same on every node holding `secret`, different in every epoch.
 */
export function ticketKeysAt(secret: string, now: number): Buffer {
  const info = `riposte tls session tickets, epoch ${ticketEpoch(now)}`;
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'hex'), Buffer.alloc(0), info, 48));
}

/** Node's `sessionIdContext` (at most 32 characters): tickets of one CA's cluster only. */
export function sessionIdContextOf(caCert: string): string {
  return createHash('sha256').update(caCert).digest('hex').slice(0, 32);
}

/** Reads `file`'s secret, writing a new one (0600) when the file is missing or malformed. */
export function ensureTicketSecret(file: string): string {
  const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (isTicketSecret(text)) {
    return text;
  }
  const secret = newTicketSecret();
  writeTicketSecret(file, secret);
  return secret;
}

export function writeTicketSecret(file: string, secret: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
}
