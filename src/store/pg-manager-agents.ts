/**
 * Agents and enrollment tokens on the manager's PostgreSQL store (pg-manager-store.ts builds on
 * this class): the same statements as the SQLite store's. A token is checked and consumed in one
 * transaction holding its row (FOR UPDATE), so two nodes can never both use it.
 */
import {
  tokenUseOf,
  type AgentPresence,
  type AgentRecord,
  type AgentSeen,
  type EnrollTokenRow,
  type TokenUse,
} from '../core/orders/manager-store.js';
import { PgManagerConsole } from './pg-manager-console.js';
import { PRESENCE_SQL, rowToAgent, rowToPresence, type AgentRow } from './sqlite-manager-rows.js';
import { nul } from './sqlite-rows.js';
import { agentIdText } from './sqlite-manager-rows.js';

export abstract class PgManagerAgents extends PgManagerConsole {
  /**
   * Reserves the next id from the `agent_id` counter row: distinct across nodes (the row lock
   * orders them), never below an existing agent's id (rows copied by migrate-store count), never
   * reused; an enrollment refused after this leaves a gap, as a removed agent does.
   */
  async nextAgentId(): Promise<string> {
    const r = await this.rows<{ value: string }>(
      `INSERT INTO counters (name, value)
         VALUES ('agent_id', COALESCE((SELECT MAX(id::bigint) FROM agents), 0) + 1)
       ON CONFLICT (name) DO UPDATE
         SET value = GREATEST(counters.value, COALESCE((SELECT MAX(id::bigint) FROM agents), 0)) + 1
       RETURNING value`,
    );
    return agentIdText(Number(r[0]?.value));
  }

  async insertAgent(a: AgentRecord): Promise<void> {
    await this.run(
      `INSERT INTO agents (id, name, fingerprint, registered_at, removed_at, last_seen, version, address, ar_disabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        a.id,
        a.name,
        a.fingerprint,
        a.registeredAt,
        nul(a.removedAt),
        nul(a.lastSeen),
        nul(a.version),
        nul(a.address),
        a.arDisabled ? 1 : 0,
      ],
    );
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    const r = (await this.rows<AgentRow>('SELECT * FROM agents WHERE id = $1', [id]))[0];
    return r && rowToAgent(r);
  }

  async getAgentsByFingerprints(fingerprints: readonly string[]): Promise<(AgentRecord | undefined)[]> {
    if (fingerprints.length === 0) {
      return [];
    }
    const rows = await this.rows<AgentRow>(
      'SELECT * FROM agents WHERE fingerprint = ANY($1::text[])',
      [[...new Set(fingerprints)]],
      'riposte_agents_by_fingerprint',
    );
    const byFingerprint = new Map(rows.map((r) => [r.fingerprint, rowToAgent(r)]));
    return fingerprints.map((f) => byFingerprint.get(f));
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await this.rows<AgentRow>('SELECT * FROM agents ORDER BY id')).map(rowToAgent);
  }

  async agentPresence(): Promise<AgentPresence[]> {
    return (
      await this.rows<Pick<AgentRow, 'id' | 'last_seen'>>(PRESENCE_SQL, [], 'riposte_agent_presence')
    ).map(rowToPresence);
  }

  async markAgentRemoved(id: string, at: number): Promise<void> {
    await this.run('UPDATE agents SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL', [at, id]);
  }

  async updateAgentSeen(id: string, s: AgentSeen): Promise<void> {
    await this.run(
      `UPDATE agents SET last_seen = $1, version = COALESCE($2, version), address = COALESCE($3, address),
         ar_disabled = COALESCE($4, ar_disabled) WHERE id = $5`,
      [
        s.lastSeen,
        nul(s.version),
        nul(s.address),
        s.arDisabled === undefined ? null : s.arDisabled ? 1 : 0,
        id,
      ],
    );
  }

  async addEnrollToken(hash: string, name: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.run('INSERT INTO enroll_tokens (hash, name, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
      hash,
      name,
      createdAt,
      expiresAt,
    ]);
  }

  checkEnrollToken(hash: string, name: string, now: number): Promise<TokenUse> {
    return this.tokenUse(hash, name, now, '');
  }

  useEnrollToken(hash: string, name: string, now: number): Promise<TokenUse> {
    return this.atomically(async () => {
      const use = await this.tokenUse(hash, name, now, 'FOR UPDATE');
      if (use.ok) {
        await this.run('UPDATE enroll_tokens SET used_at = $1 WHERE hash = $2', [now, hash]);
      }
      return use;
    });
  }

  private async tokenUse(hash: string, name: string, now: number, lock: string): Promise<TokenUse> {
    const rows = await this.rows<EnrollTokenRow>(
      `SELECT name, expires_at, used_at FROM enroll_tokens WHERE hash = $1 ${lock}`,
      [hash],
    );
    return tokenUseOf(rows[0], name, now);
  }
}
