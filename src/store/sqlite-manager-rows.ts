/**
 * Row <-> record mapping for the manager's SQLite store. Column names are snake_case; NULL maps to
 * undefined. Execution records and active responses are stored as JSON and re-validated on read.
 */
import type { ActiveResponse } from '../protocol/execution-records.js';
import type { FleetActiveResponse, FleetExecution, OrderInfo } from '../protocol/fleet-records.js';
import type {
  AgentPresence,
  AgentRecord,
  NewOrder,
  OrderUpdate,
  StoredOrder,
} from '../core/orders/manager-store.js';
import { toActiveResponse, toExecutionRecord } from '../protocol/link.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { opt } from './sqlite-rows.js';

export interface AgentRow {
  id: string;
  name: string;
  fingerprint: string;
  registered_at: number;
  removed_at: number | null;
  last_seen: number | null;
  version: string | null;
  address: string | null;
  ar_disabled: number;
}

export function rowToAgent(r: AgentRow): AgentRecord {
  return {
    id: r.id,
    name: r.name,
    fingerprint: r.fingerprint,
    registeredAt: r.registered_at,
    removedAt: opt(r.removed_at),
    lastSeen: opt(r.last_seen),
    version: opt(r.version),
    address: opt(r.address),
    arDisabled: r.ar_disabled === 1,
  };
}

/** The two columns `agentPresence` reads (both adapters). */
export const PRESENCE_SQL = 'SELECT id, last_seen FROM agents WHERE removed_at IS NULL ORDER BY id';

export function rowToPresence(r: Pick<AgentRow, 'id' | 'last_seen'>): AgentPresence {
  return { id: r.id, lastSeen: opt(r.last_seen) };
}

export interface OrderRow {
  agent_id: string;
  seq: number;
  kind: string;
  source: string;
  ar_name: string | null;
  key: string | null;
  alert_id: string | null;
  payload: string;
  state: string;
  created_at: number;
  expires_at: number;
  delivered_at: number | null;
  executed_at: number | null;
  reverted_at: number | null;
  expired_at: number | null;
  outcome: string | null;
  execution_id: number | null;
  note: string | null;
}

/** The stored form of a just-inserted order (as rowToOrder reads it back). */
export function queuedOrder(o: NewOrder, seq: number): StoredOrder {
  return {
    agentId: o.agentId,
    seq,
    kind: o.kind,
    source: o.source,
    arName: o.arName,
    key: o.key,
    alertId: o.alertId,
    payload: o.payload,
    state: 'queued',
    createdAt: o.createdAt,
    expiresAt: o.expiresAt,
    deliveredAt: undefined,
    executedAt: undefined,
    revertedAt: undefined,
    expiredAt: undefined,
    outcome: undefined,
    executionId: undefined,
    note: undefined,
  };
}

export function rowToOrder(r: OrderRow): StoredOrder {
  return {
    agentId: r.agent_id,
    seq: r.seq,
    kind: r.kind as OrderInfo['kind'],
    source: r.source as OrderInfo['source'],
    arName: opt(r.ar_name),
    key: opt(r.key),
    alertId: opt(r.alert_id),
    payload: r.payload,
    state: r.state as OrderInfo['state'],
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    deliveredAt: opt(r.delivered_at),
    executedAt: opt(r.executed_at),
    revertedAt: opt(r.reverted_at),
    expiredAt: opt(r.expired_at),
    outcome: opt(r.outcome) as OrderInfo['outcome'],
    executionId: opt(r.execution_id),
    note: opt(r.note),
  };
}

function corrupt(what: string): RiposteError {
  return new RiposteError(ErrorCode.INTERNAL, `Manager store holds an invalid ${what} record`);
}

export function parseExecutionRow(r: {
  record: string;
  order_seq: number | null;
  received_at: number;
}): FleetExecution {
  const rec = toExecutionRecord(JSON.parse(r.record));
  if (rec === undefined) {
    throw corrupt('execution');
  }
  return { ...rec, orderSeq: opt(r.order_seq), receivedAt: r.received_at };
}

export function parseActiveRow(r: { record: string; reported_at: number }): FleetActiveResponse {
  const a: ActiveResponse | undefined = toActiveResponse(JSON.parse(r.record));
  if (a === undefined) {
    throw corrupt('active response');
  }
  return { ...a, reportedAt: r.reported_at };
}

/** OrderUpdate fields and their columns (the state column is always written). */
export const UPDATE_COLUMNS: readonly (readonly [keyof OrderUpdate, string])[] = [
  ['deliveredAt', 'delivered_at'],
  ['executedAt', 'executed_at'],
  ['revertedAt', 'reverted_at'],
  ['expiredAt', 'expired_at'],
  ['outcome', 'outcome'],
  ['executionId', 'execution_id'],
  ['key', 'key'],
  ['note', 'note'],
];

/** An agent id as Wazuh spells it: at least three digits ("001"). */
export function agentIdText(n: number): string {
  return String(n).padStart(3, '0');
}
