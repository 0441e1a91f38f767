/**
 * The audit trail of the manager's REST API: one entry per request that asks to change state
 * (PUT, POST, DELETE), whatever its outcome, including refused ones (401/403/400). GET and HEAD are
 * never audited. An entry names the token by id and name, never the token or a request body (which
 * may hold an enrollment password or token).
 */
import type { Role } from './api-tokens.js';

/** One audited request. Times are epoch ms. */
export interface AuditEntry {
  readonly at: number;
  /** Token id, undefined when the request carried no valid token (refused, or `POST /enroll`). */
  readonly tokenId: string | undefined;
  readonly tokenName: string | undefined;
  readonly role: Role | undefined;
  readonly method: string;
  /** The URL path without the query string, e.g. "/active-responses/firewall-drop-1.2.3.4". */
  readonly path: string;
  readonly status: number;
  /** Agent ids the request targeted (`agents_list` or `agent` query, `:id` param), comma-separated. */
  readonly agents: string | undefined;
  /** Client address as seen by the server. */
  readonly remote: string | undefined;
}

/** Persistence port for the audit trail. Append-only. */
export interface AuditLog {
  append(entry: AuditEntry): void;
  /** Most recent first. */
  list(limit: number): AuditEntry[];
}

/** Methods whose requests are audited. */
export const AUDITED_METHODS: ReadonlySet<string> = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

/** In-memory AuditLog (tests, dry runs). */
export class MemoryAuditLog implements AuditLog {
  private readonly entries: AuditEntry[] = [];

  append(entry: AuditEntry): void {
    this.entries.push(entry);
  }

  list(limit: number): AuditEntry[] {
    return this.entries.slice(-limit).reverse();
  }
}
