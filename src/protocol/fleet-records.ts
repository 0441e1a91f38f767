/**
 * Records the manager keeps and serves about its fleet: agents, orders, the executions and active
 * responses its agents report, and the filters and requests the API passes in. Plain data shared
 * by the manager, its store, the REST API and the CLI. Times are epoch milliseconds.
 */
import type { ActiveResponse, ExecutionRecord, ExecutionStatus } from './execution-records.js';
import type { JsonObject } from './json.js';

/** The life of a durable order; the transitions are in core/orders/order-state.ts. */
export type OrderState = 'queued' | 'delivered' | 'executed' | 'reverted' | 'expired';
export const ORDER_STATES: readonly OrderState[] = ['queued', 'delivered', 'executed', 'reverted', 'expired'];

/** `never_connected`: enrolled but never linked; `removed`: refused forever (kept for history). */
export type AgentStatus = 'active' | 'disconnected' | 'never_connected' | 'removed';

export interface AgentInfo {
  /** "001", "002", ...; "000" is the manager's own local agent. */
  readonly id: string;
  readonly name: string;
  readonly status: AgentStatus;
  /** Epoch ms of the last frame or pong; undefined when never connected. */
  readonly lastSeen: number | undefined;
  /** Riposte version the agent reported in its hello. */
  readonly version: string | undefined;
  /** Remote IP address of the current or last connection. */
  readonly address: string | undefined;
  readonly registeredAt: number;
  /** True when the agent reported active response disabled (API runs fail with 1750). */
  readonly arDisabled: boolean;
}

/** What one batch of alert lines did. */
export interface IngestSummary {
  readonly received: number;
  /** Lines that parsed as alerts. */
  readonly accepted: number;
  /** Lines that did not parse (reasons in `errors`, capped). */
  readonly invalid: number;
  /** (alert, AR rule) pairs that fired. */
  readonly dispatches: number;
  /** Orders queued (one per target agent per dispatch). */
  readonly orders: number;
  readonly errors: readonly string[];
  /** Each refused line with its 1-based number in the batch (at most 1000; `invalid` counts all). */
  readonly rejected: readonly { readonly line: number; readonly error: string }[];
}

export interface EnrollRequest {
  readonly name: string;
  /** The manager's enrollment password (`<home>/etc/authd.pass`). */
  readonly password?: string;
  /** A one-time token from {@link ManagerService.addEnrollmentToken}. */
  readonly token?: string;
}

/** Credentials handed to a newly enrolled agent (PEM text). */
export interface EnrollResult {
  readonly id: string;
  readonly name: string;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** An active response as the manager knows it (last report from its agent). */
export type FleetActiveResponse = ActiveResponse & { readonly reportedAt: number };

/** An execution reported by an agent; `id` is the agent-local id ((agentId, id) is unique). */
export type FleetExecution = ExecutionRecord & {
  /** The order seq when the execution came from an order. */
  readonly orderSeq: number | undefined;
  readonly receivedAt: number;
};

export type OrderKind = 'add' | 'revert';
/** Where an order came from. */
export type OrderSource = 'alert' | 'api' | 'revert';

export interface OrderInfo {
  readonly agentId: string;
  /** Per-agent, increasing from 1. */
  readonly seq: number;
  readonly kind: OrderKind;
  readonly source: OrderSource;
  /** AR name (add orders). */
  readonly arName: string | undefined;
  /** Active key (revert orders; add orders once executed). */
  readonly key: string | undefined;
  readonly alertId: string | undefined;
  readonly state: OrderState;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly deliveredAt: number | undefined;
  readonly executedAt: number | undefined;
  readonly revertedAt: number | undefined;
  readonly expiredAt: number | undefined;
  /** The execution's status once executed. */
  readonly outcome: ExecutionStatus | undefined;
  readonly executionId: number | undefined;
  /** Why an order failed without an execution (e.g. the agent rejected the message). */
  readonly note: string | undefined;
}

/**
 * The answer of a revert (`DELETE /active-responses/:key`), the same on every daemon: a manager
 * queues revert `orders` (their executions follow, see `GET /executions`); a bare agent runs the
 * delete at once and answers its `executions`.
 */
export interface RevertAnswer {
  readonly orders: readonly OrderInfo[];
  readonly executions: readonly FleetExecution[];
}

export interface OrderFilter {
  readonly agentId?: string;
  readonly state?: OrderState;
  /** Most recent first. @default 100 */
  readonly limit?: number;
}

export interface ActiveFilter {
  readonly agentId?: string;
  /** Matches the AR name ("firewall-drop600") or the program's basename ("firewall-drop"). */
  readonly command?: string;
  /** Matches the response's srcip (IPv4-mapped IPv6 compared as IPv4). */
  readonly ip?: string;
}

export interface ExecutionFilter {
  readonly agentId?: string;
  /** Most recent first. @default 100, at most 1000 */
  readonly limit?: number;
}

/** Body of Wazuh's `PUT /active-response` (reference §6.2) plus the resolved agent list. */
export interface RunRequest {
  /** AR name from ar.conf ("firewall-drop600") or "!script". */
  readonly command: string;
  readonly arguments: readonly string[];
  readonly alert: JsonObject;
  /** Explicit ids, or every enrolled agent except "000" (Wazuh's default). */
  readonly agents: readonly string[] | 'all';
  /** Decide, record and log on the agent, touch nothing on the host (ar-message.ts `dryRun`). */
  readonly dryRun?: boolean;
}
