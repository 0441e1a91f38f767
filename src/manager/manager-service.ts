/**
 * The manager's application service: the only entry point the REST API, the CLI (through the
 * API) and the alert tailer use. Routes parse, call one method and map `RiposteError` codes; no
 * policy lives in them.
 *
 * Implemented by `manager-core.ts`; created by `startManagerRuntime` (manager-runtime.ts), which
 * also owns the HTTPS server (one port for the REST API, `POST /enroll` and `wss:///link`).
 *
 * Contract for the REST layer (src/manager-api):
 * - export a {@link CreateManagerApi} function; the runtime calls it once and sends every HTTPS
 *   request to `handle`, EXCEPT `POST /enroll` and the `/link` WebSocket upgrade, which the link
 *   layer serves itself (document both in the OpenAPI file; `enroll` is also exposed here).
 * - the server certificate is issued by the manager's own CA: clients trust `<home>/etc/pki/ca.pem`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OrderState } from '../core/orders/order-state.js';
import type { ActiveResponse, ExecutionRecord, ExecutionStatus } from '../core/execd/types.js';
import type { JsonObject } from '../protocol/json.js';
import type { WazuhArErrorCode, WazuhResult } from '../core/orders/wazuh-result.js';
import type { Config } from '../config/config.js';
import type { RuleDecision } from '../core/match/decision.js';
import type { AlertView } from '../protocol/alert.js';

export type { OrderState } from '../core/orders/order-state.js';

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
}

/** Wazuh's AffectedItemsWazuhResult shape for `PUT /active-response` (defined once, in core/orders). */
export type WazuhErrorCode = WazuhArErrorCode;
export type WazuhStyleResult = WazuhResult;

/** `explain`'s answer for one alert: a verdict per AR rule, with the fleet's agents as known now. */
export interface ExplainResult {
  readonly alert: AlertView;
  readonly decisions: readonly RuleDecision[];
}

/** Counts for the Prometheus gauges, read at scrape time. */
export interface ManagerStats {
  readonly agentsByStatus: Readonly<Record<AgentStatus, number>>;
  readonly ordersByState: Readonly<Record<OrderState, number>>;
  readonly activeResponses: number;
  readonly connectedAgents: number;
}

/** Events for counters and histograms (metrics); listeners must not throw. */
export type ManagerEvent =
  | { readonly type: 'alert-ingested'; readonly count: number }
  | { readonly type: 'response-fired'; readonly command: string; readonly agentId: string }
  | {
      readonly type: 'order-state';
      readonly agentId: string;
      readonly seq: number;
      readonly state: OrderState;
    }
  | {
      readonly type: 'execution';
      readonly agentId: string;
      readonly status: ExecutionStatus;
      /** The execution as stored (the live feed `GET /executions/stream` sends it). */
      readonly execution: FleetExecution;
    }
  /** ms from the alert's ingestion (or the API call) to the agent's ack of the order. */
  | { readonly type: 'dispatch-latency'; readonly agentId: string; readonly ms: number }
  | { readonly type: 'agent-connection'; readonly agentId: string; readonly connected: boolean };

export type ManagerEventListener = (event: ManagerEvent) => void;

export interface ManagerService {
  /** Parses, matches and dispatches `alerts.json` lines (one alert per line). Never throws. */
  ingestAlerts(lines: readonly string[]): IngestSummary;
  listAgents(): AgentInfo[];
  /** @throws RiposteError AGENT_NOT_FOUND */
  getAgent(id: string): AgentInfo;
  /**
   * A one-time enrollment token for `name`, stored hashed; `ttlMs` from now.
   * @throws RiposteError REQUEST_INVALID (bad name or ttl)
   */
  addEnrollmentToken(name: string, ttlMs: number): { token: string; expiresAt: number };
  /**
   * Enrolls an agent: assigns the next id and issues its certificate.
   * @throws RiposteError AUTH_REQUIRED (no password/token), AUTH_FORBIDDEN (wrong password, used
   *   or expired token), REQUEST_INVALID (bad or duplicate name)
   */
  enroll(req: EnrollRequest, peerAddress: string): Promise<EnrollResult>;
  /** Marks the agent removed and disconnects it; its certificate is refused from now on. @throws AGENT_NOT_FOUND */
  removeAgent(id: string): void;
  listActive(filter: ActiveFilter): FleetActiveResponse[];
  /**
   * Queues a revert order for `key` on `agentId`, or on every agent where it is active.
   * @throws RiposteError RESPONSE_NOT_FOUND, AGENT_NOT_FOUND
   */
  revert(key: string, agentId?: string): OrderInfo[];
  /** Wazuh's `PUT /active-response`; per-agent failures are in the result, never thrown. */
  run(req: RunRequest): WazuhStyleResult;
  listExecutions(filter: ExecutionFilter): FleetExecution[];
  listOrders(filter: OrderFilter): OrderInfo[];
  stats(): ManagerStats;
  /**
   * What one alert line would fire (the dispatch planner's verdicts); nothing is dispatched.
   * @throws RiposteError ALERT_INVALID when the line is not an alert
   */
  explain(alertLine: string): ExplainResult;
  /** The loaded, frozen configuration (rules, commands, white list, load warnings). */
  config(): Config;
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: ManagerEventListener): () => void;
}

/** What the REST layer returns to the runtime. */
export interface ManagerApiHandle {
  /** Serves one request (every path except `POST /enroll` and `/link`). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export interface ManagerApiContext {
  readonly service: ManagerService;
  readonly home: string;
}

/** Implemented by src/manager-api; called once by the runtime. */
export type CreateManagerApi = (ctx: ManagerApiContext) => Promise<ManagerApiHandle>;
