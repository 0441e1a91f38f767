/** Builders shared by the ManagerStore contract files (manager-store*.contract.ts). */
import type {
  AgentRecord,
  ManagerStore,
  NewOrder,
  StoredOrder,
} from '../../src/core/orders/manager-store.js';
import type { ActiveResponse } from '../../src/protocol/execution-records.js';
import type { FleetExecution } from '../../src/protocol/fleet-records.js';

/** An enrolled agent `id` (name `agent-<id>`, fingerprint `FP:<id>`) that never connected. */
export function agentRecord(id: string, over: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id,
    name: `agent-${id}`,
    fingerprint: `FP:${id}`,
    registeredAt: 1,
    removedAt: undefined,
    lastSeen: undefined,
    version: undefined,
    address: undefined,
    arDisabled: false,
    ...over,
  };
}

/** Returns a fresh, empty store (the suite closes it). */
export type MakeManagerStore = () => Promise<ManagerStore>;

export async function withStore(
  make: MakeManagerStore,
  fn: (s: ManagerStore) => Promise<void>,
): Promise<void> {
  const s = await make();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

export async function addAgent(
  s: ManagerStore,
  name: string,
  fingerprint: string,
  registeredAt = 1,
): Promise<string> {
  const id = await s.nextAgentId();
  await s.insertAgent({
    id,
    name,
    fingerprint,
    registeredAt,
    removedAt: undefined,
    lastSeen: undefined,
    version: undefined,
    address: undefined,
    arDisabled: false,
  });
  return id;
}

export function newOrder(over: Partial<NewOrder> = {}): NewOrder {
  return {
    agentId: '001',
    kind: 'add',
    source: 'alert',
    arName: 'mark600',
    key: undefined,
    alertId: 'a1',
    payload: '{"command":"add"}',
    createdAt: 1,
    expiresAt: 10_000,
    ...over,
  };
}

export function activeFor(agentId: string, key: string, over: Partial<ActiveResponse> = {}): ActiveResponse {
  return {
    key,
    arName: 'mark600',
    program: 'active-response/bin/mark',
    deleteMessage: '{"command":"delete"}',
    addMessage: '{"command":"add"}',
    agentId,
    createdAt: 1,
    addedAt: 1,
    timeoutSec: 600,
    expiresAt: 600_001,
    repeatCount: 1,
    alertId: undefined,
    ruleId: 5,
    srcip: '192.0.2.1',
    user: undefined,
    ...over,
  };
}

export function execution(agentId: string, id: number, over: Partial<FleetExecution> = {}): FleetExecution {
  return {
    id,
    key: `mark-${id}`,
    arName: 'mark600',
    program: 'active-response/bin/mark',
    action: 'add',
    agentId,
    alertId: undefined,
    ruleId: 5,
    srcip: '192.0.2.1',
    user: undefined,
    startedAt: 1,
    endedAt: 2,
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
    orderSeq: undefined,
    receivedAt: 3,
    ...over,
  };
}

export const seqs = (orders: readonly StoredOrder[]): number[] => orders.map((o) => o.seq);
