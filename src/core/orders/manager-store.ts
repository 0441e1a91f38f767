/**
 * The manager's persistence port: agents, enrollment tokens (hashed), durable orders, the fleet's
 * execution history and active responses. Implemented by store/sqlite-manager-store.ts
 * (`<home>/var/manager.db`) and store/pg-manager-store.ts (PostgreSQL, shared by several manager
 * nodes). Asynchronous: every method returns a Promise and is one transaction on its own; `batch`
 * runs an async function in ONE transaction. A method that resolved has committed (outside a
 * batch). Inside `batch(fn)`, every call made from `fn`'s async context (through `tx` or through
 * the store itself) joins that transaction; calls from elsewhere wait for it (SQLite) or run in
 * their own transaction (PostgreSQL), so a batch never sees or commits another flow's writes.
 *
 * Adding a method: declare it here, implement it in both adapters, and cover it in
 * test/contract/manager-store.contract.ts (run against both).
 *
 * Not part of this contract: order state rules (core/orders/order-state.ts) and id/token minting
 * (the manager core); the store only persists what it is told.
 */
import type { ActiveResponse } from '../../protocol/execution-records.js';
import type {
  FleetActiveResponse,
  FleetExecution,
  OrderFilter,
  OrderInfo,
  OrderKind,
  OrderSource,
} from '../../protocol/fleet-records.js';
import type { ManagerConsoleStore } from './manager-console-store.js';

export interface AgentRecord {
  readonly id: string;
  readonly name: string;
  /** SHA-256 fingerprint of the agent's client certificate ("AB:CD:..."). */
  readonly fingerprint: string;
  readonly registeredAt: number;
  readonly removedAt: number | undefined;
  readonly lastSeen: number | undefined;
  readonly version: string | undefined;
  readonly address: string | undefined;
  readonly arDisabled: boolean;
}

/** What ingest needs of an agent: its id and last sign of life ({@link ManagerStore.agentPresence}). */
export interface AgentPresence {
  readonly id: string;
  readonly lastSeen: number | undefined;
}

export interface AgentSeen {
  readonly lastSeen: number;
  readonly version?: string;
  readonly address?: string;
  readonly arDisabled?: boolean;
}

/** `b` written after `a` on one agent: b's time, and each field b does not give kept from a. */
export function mergeSeen(a: AgentSeen, b: AgentSeen): AgentSeen {
  return {
    lastSeen: b.lastSeen,
    ...((b.version ?? a.version) !== undefined ? { version: b.version ?? a.version } : {}),
    ...((b.address ?? a.address) !== undefined ? { address: b.address ?? a.address } : {}),
    ...((b.arDisabled ?? a.arDisabled) !== undefined ? { arDisabled: b.arDisabled ?? a.arDisabled } : {}),
  };
}

/** One agent's sign of life in {@link ManagerStore.updateAgentsSeen}. */
export interface AgentSeenOf {
  readonly id: string;
  readonly seen: AgentSeen;
}

/** One order's key (agent, seq). */
export interface OrderKey {
  readonly agentId: string;
  readonly seq: number;
}

export type TokenUse =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired' | 'wrong-name' };

/** An enrollment token's stored row, as both adapters read it. */
export interface EnrollTokenRow {
  readonly name: string;
  readonly expires_at: number;
  readonly used_at: number | null;
}

/** Whether the token row `r` (undefined: no such token) may enroll `name` at `now`. Pure. */
export function tokenUseOf(r: EnrollTokenRow | undefined, name: string, now: number): TokenUse {
  if (r === undefined) {
    return { ok: false, reason: 'unknown' };
  }
  if (r.used_at !== null) {
    return { ok: false, reason: 'used' };
  }
  if (now > r.expires_at || r.name !== name) {
    return { ok: false, reason: now > r.expires_at ? 'expired' : 'wrong-name' };
  }
  return { ok: true, name: r.name };
}

export interface NewOrder {
  readonly agentId: string;
  readonly kind: OrderKind;
  readonly source: OrderSource;
  readonly arName: string | undefined;
  readonly key: string | undefined;
  readonly alertId: string | undefined;
  /** add: the raw AR JSON message; revert: the key. */
  readonly payload: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** An order with what is needed to (re)send it. */
export type StoredOrder = OrderInfo & { readonly payload: string };

/** Fields a transition writes (undefined = keep). */
export interface OrderUpdate {
  readonly state: OrderInfo['state'];
  readonly deliveredAt?: number;
  readonly executedAt?: number;
  readonly revertedAt?: number;
  readonly expiredAt?: number;
  readonly outcome?: OrderInfo['outcome'];
  readonly executionId?: number;
  readonly key?: string;
  readonly note?: string;
}

/** An order {@link ManagerStore.ackOrders} moved from queued to delivered. */
export interface AckedOrder extends OrderKey {
  readonly createdAt: number;
}

/** What one {@link ManagerStore.pruneHistory} call deleted. */
export interface PrunedHistory {
  readonly orders: number;
  readonly executions: number;
}

/** One order's update in {@link ManagerStore.updateOrders}. */
export interface OrderUpdateOf {
  readonly agentId: string;
  readonly seq: number;
  readonly update: OrderUpdate;
}

export interface ManagerStore extends ManagerConsoleStore {
  /** Assigns the next id without inserting (the caller then calls `insertAgent`). */
  nextAgentId(): Promise<string>;
  insertAgent(agent: AgentRecord): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | undefined>;
  /**
   * The agent holding each certificate fingerprint (removed ones included), in the given order,
   * undefined for none; one read for all (the link's look-ups of a turn: a reconnection storm).
   */
  getAgentsByFingerprints(fingerprints: readonly string[]): Promise<(AgentRecord | undefined)[]>;
  listAgents(): Promise<AgentRecord[]>;
  /**
   * The non-removed agents' ids and last signs of life, by id: what `listAgents` filtered on
   * `removedAt === undefined` gives, reading two columns (every POST /alerts reads it).
   */
  agentPresence(): Promise<AgentPresence[]>;
  markAgentRemoved(id: string, at: number): Promise<void>;
  updateAgentSeen(id: string, seen: AgentSeen): Promise<void>;
  /**
   * `updateAgentSeen` for each, in the given order (a later one for the same agent wins field by
   * field), in one statement where the adapter can: a node's link writes every agent's last sign
   * of life of a moment together. Rows are locked in agent-id order (no deadlock between two).
   */
  updateAgentsSeen(list: readonly AgentSeenOf[]): Promise<void>;
  /**
   * The non-removed agent named `name`, case-insensitively (names are unique that way), or
   * undefined. Inside a `batch`, it also holds the name until the batch ends (PostgreSQL: an
   * advisory transaction lock), so of two nodes enrolling one name at once the second sees the first.
   */
  activeAgentNamed(name: string): Promise<AgentRecord | undefined>;

  addEnrollToken(hash: string, name: string, createdAt: number, expiresAt: number): Promise<void>;
  /**
   * What {@link useEnrollToken} would answer, without marking the token used: enrollment checks the
   * token first and consumes it only once nothing else (e.g. a duplicate name) can refuse it.
   */
  checkEnrollToken(hash: string, name: string, now: number): Promise<TokenUse>;
  /** Marks the token used (atomically, single use) when it is valid for `name`. */
  useEnrollToken(hash: string, name: string, now: number): Promise<TokenUse>;

  /** Inserts an order with the agent's next seq. */
  enqueueOrder(order: NewOrder): Promise<StoredOrder>;
  /**
   * Inserts orders in one transaction, each with its agent's next seq in the given order (what
   * `enqueueOrder` one after the other would store); returns them in the given order.
   */
  enqueueOrders(orders: readonly NewOrder[]): Promise<StoredOrder[]>;
  getOrder(agentId: string, seq: number): Promise<StoredOrder | undefined>;
  /** The agent's orders among `seqs` that exist, in seq order (each once). */
  getOrders(agentId: string, seqs: readonly number[]): Promise<StoredOrder[]>;
  /** Orders among `keys` that exist (each once), by agent id then seq: many agents' in one read. */
  getOrdersOf(keys: readonly OrderKey[]): Promise<StoredOrder[]>;
  /** Queued orders of an agent, in seq order. */
  queuedOrders(agentId: string): Promise<StoredOrder[]>;
  /**
   * Queued orders of each agent in `agentIds`, by agent id then seq (what `queuedOrders` of each
   * would return); only those created before `createdBefore` when it is given.
   */
  queuedOrdersOf(agentIds: readonly string[], createdBefore?: number): Promise<StoredOrder[]>;
  /**
   * Highest order seq ever stored for each agent (0 = none): element i is agentIds[i]'s. Read
   * before `queuedOrdersOf` at a hello, every lower seq not queued then is settled for good.
   */
  lastOrderSeqs(agentIds: readonly string[]): Promise<number[]>;
  updateOrder(agentId: string, seq: number, update: OrderUpdate): Promise<void>;
  /** `updateOrder` for each, in the given order, in one transaction. */
  updateOrders(updates: readonly OrderUpdateOf[]): Promise<void>;
  /**
   * The acks of `keys` in one write: each of those orders that is `queued` becomes `delivered` at
   * `at` (an ack moves only a queued order, order-state.ts), the others are left as they are;
   * returns the orders it moved (a key given twice moves once). What reading the orders and
   * `updateOrders` with their ack transitions would store, without reading every column.
   */
  ackOrders(keys: readonly OrderKey[], at: number): Promise<AckedOrder[]>;
  /**
   * The expiry of `keys` in one write: each of those orders that is still `queued` becomes
   * `expired` at `at`, the others (acked meanwhile, on any node) are left as they are; returns the
   * orders it moved, in the keys' order, each once.
   */
  expireOrders(keys: readonly OrderKey[], at: number): Promise<OrderKey[]>;
  /** Queued orders whose expiresAt < now, oldest first. */
  expirableOrders(now: number): Promise<StoredOrder[]>;
  /** Executed add orders of `agentId` holding `key` (candidates for `reverted`). */
  executedOrdersWithKey(agentId: string, key: string): Promise<StoredOrder[]>;
  /** Executed add orders with a key, of one agent. */
  executedKeyedOrders(agentId: string): Promise<StoredOrder[]>;
  listOrders(filter: OrderFilter): Promise<OrderInfo[]>;
  countOrdersByState(): Promise<Record<OrderInfo['state'], number>>;
  /**
   * Deletes at most `limit` orders created before `before` and at most `limit` execution reports
   * received before it, oldest first, and says how many. Kept whatever their age: queued orders
   * (expiry settles them first), executed add orders whose key is in the agent's active list (the
   * response is in force, and its revert marks them reverted), each agent's highest order seq
   * (the next seq and `lastOrderSeqs` count from it) and each agent's highest execution id
   * (`lastExecutionId`: the agent's report cursor starts after it, so older reports are not sent
   * again).
   */
  pruneHistory(before: number, limit: number): Promise<PrunedHistory>;

  /** Inserts an execution; false when (agentId, id) is already recorded. */
  recordExecution(exec: FleetExecution): Promise<boolean>;
  /** `recordExecution` for each, in order, in one transaction: element i is true when exec i was new. */
  recordExecutions(execs: readonly FleetExecution[]): Promise<boolean[]>;
  /** Highest execution id recorded for the agent (0 = none). */
  lastExecutionId(agentId: string): Promise<number>;
  /** `lastExecutionId` of each agent: element i is agentIds[i]'s. */
  lastExecutionIds(agentIds: readonly string[]): Promise<number[]>;
  listExecutions(filter: { agentId?: string; limit: number }): Promise<FleetExecution[]>;

  putActive(active: ActiveResponse, reportedAt: number): Promise<void>;
  /** `putActive` of each, in order (a later one of a key replaces the earlier), in one transaction. */
  putActives(actives: readonly ActiveResponse[], reportedAt: number): Promise<void>;
  removeActive(agentId: string, key: string): Promise<void>;
  /** Replaces the agent's whole active list (reconcile after a reconnect). */
  replaceActive(agentId: string, items: readonly ActiveResponse[], reportedAt: number): Promise<void>;
  listActive(agentId?: string): Promise<FleetActiveResponse[]>;
  /** The keys of each agent's active responses (what `listActive` of each lists), by agent then key. */
  activeKeysOf(agentIds: readonly string[]): Promise<{ agentId: string; key: string }[]>;
  countActive(): Promise<number>;

  /** A small named value (e.g. the alerts.json tail position); undefined when never set. */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  /**
   * Removes a setting and returns its value (undefined when there was none), atomically: of several
   * nodes taking one key at once, exactly one gets the value.
   */
  takeSetting(key: string): Promise<string | undefined>;

  /**
   * Runs `fn` in one transaction (many small writes, one commit); rolls back when `fn` rejects.
   * `tx` is this store bound to the transaction (calls on the store itself from `fn`'s async
   * context join it too). Nested batches join the outer one. Keep `fn` to store work and pure
   * computation: other flows wait for it (SQLite) or hold a connection (PostgreSQL).
   */
  batch<T>(fn: (tx: ManagerStore) => Promise<T>): Promise<T>;
  /**
   * How many batches the store runs at once, each in its own transaction (PostgreSQL: on its own
   * pooled connection); 1 when batches run one after another (SQLite). Callers splitting work into
   * concurrent batches keep to it, and keep rows two concurrent batches touch disjoint.
   */
  readonly batchConcurrency: number;

  close(): Promise<void>;
}

/** The public view of a stored order (without its payload). */
export function orderInfo(o: StoredOrder): OrderInfo {
  const info: { -readonly [K in keyof StoredOrder]?: StoredOrder[K] } = { ...o };
  delete info.payload;
  return info as OrderInfo;
}
