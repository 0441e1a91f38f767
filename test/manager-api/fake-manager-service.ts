/**
 * A hand-written ManagerService for the REST tests: fixed data, every call recorded, failures
 * injected through `failWith`. No policy: the REST layer must not depend on any.
 */
import type {
  ActiveFilter,
  AgentInfo,
  EnrollRequest,
  EnrollResult,
  ExecutionFilter,
  FleetActiveResponse,
  FleetExecution,
  IngestSummary,
  OrderFilter,
  OrderInfo,
  RunRequest,
} from '../../src/protocol/fleet-records.js';
import type {
  ExplainResult,
  ManagerEvent,
  ManagerEventListener,
  ManagerService,
  ManagerStats,
  WazuhStyleResult,
} from '../../src/manager/manager-service.js';
import { ErrorCode, RiposteError } from '../../src/protocol/error-codes.js';
import type { Config } from '../../src/core/config-model.js';
import { planAlert } from '../../src/core/match/plan-responses.js';
import { matchesActive } from '../../src/core/execd/active-filter.js';
import { parseAlertLine } from '../../src/protocol/alert.js';
import type {
  EnrollTokenRecord,
  ExecutionPage,
  ExecutionQuery,
  MinuteCount,
  RecentAlert,
  NumberedExecution,
} from '../../src/core/orders/manager-console-store.js';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';

export interface Call {
  readonly method: string;
  readonly args: readonly unknown[];
}

export function agent(id: string, over: Partial<AgentInfo> = {}): AgentInfo {
  return {
    id,
    name: `host-${id}`,
    status: 'active',
    lastSeen: 1_700_000_000_000,
    version: '0.1.0',
    address: '127.0.0.1',
    registeredAt: 1_699_000_000_000,
    arDisabled: false,
    ...over,
  };
}

export function active(key: string, agentId: string, srcip: string): FleetActiveResponse {
  return {
    key,
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    deleteMessage: '{"command":"delete"}',
    addMessage: '{"command":"add"}',
    agentId,
    createdAt: 1,
    addedAt: 1,
    timeoutSec: 600,
    expiresAt: 600_001,
    repeatCount: 1,
    alertId: 'a1',
    ruleId: 5712,
    srcip,
    user: undefined,
    reportedAt: 2,
  };
}

export function order(agentId: string, seq: number, over: Partial<OrderInfo> = {}): OrderInfo {
  return {
    agentId,
    seq,
    kind: 'revert',
    source: 'revert',
    arName: undefined,
    key: 'firewall-drop-10.0.0.1',
    alertId: undefined,
    state: 'queued',
    createdAt: 10,
    expiresAt: 20,
    deliveredAt: undefined,
    executedAt: undefined,
    revertedAt: undefined,
    expiredAt: undefined,
    outcome: undefined,
    executionId: undefined,
    note: undefined,
    ...over,
  };
}

export function execution(agentId: string, id: number): FleetExecution {
  return {
    id,
    key: 'firewall-drop-10.0.0.1',
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    action: 'add',
    agentId,
    alertId: 'a1',
    ruleId: 5712,
    srcip: '10.0.0.1',
    user: undefined,
    startedAt: 100,
    endedAt: 101,
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
    orderSeq: 1,
    receivedAt: 102,
  };
}

export class FakeManagerService implements ManagerService {
  readonly calls: Call[] = [];
  agents: AgentInfo[] = [agent('001'), agent('002', { status: 'disconnected' })];
  actives: FleetActiveResponse[] = [active('firewall-drop-10.0.0.1', '001', '10.0.0.1')];
  executions: FleetExecution[] = [execution('001', 2), execution('001', 1)];
  runResult: WazuhStyleResult = {
    data: { affected_items: ['001'], total_affected_items: 1, failed_items: [], total_failed_items: 0 },
    message: 'AR command was sent to all agents',
    error: 0,
  };
  statsValue: ManagerStats = {
    agentsByStatus: { active: 1, disconnected: 1, never_connected: 0, removed: 0 },
    ordersByState: { queued: 3, delivered: 2, executed: 5, reverted: 1, expired: 4 },
    activeResponses: 7,
    connectedAgents: 1,
    linkBacklog: { frames: 12, bytes: 3_456, pausedAgents: 2, pauses: 9 },
  };
  /** When set, the next call of this method throws it. */
  failWith: { method: string; error: unknown } | undefined;
  private listeners: ManagerEventListener[] = [];

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failWith?.method === method) {
      const { error } = this.failWith;
      this.failWith = undefined;
      throw error;
    }
  }

  callsOf(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  emit(event: ManagerEvent): void {
    for (const l of this.listeners) {
      l(event);
    }
  }

  async ingestAlerts(lines: readonly string[]): Promise<IngestSummary> {
    this.record('ingestAlerts', lines);
    return {
      received: lines.length,
      accepted: lines.length,
      invalid: 0,
      dispatches: lines.length,
      orders: 2 * lines.length,
      errors: [],
      rejected: [],
    };
  }

  async listAgents(): Promise<AgentInfo[]> {
    this.record('listAgents');
    return this.agents;
  }

  async getAgent(id: string): Promise<AgentInfo> {
    this.record('getAgent', id);
    const found = this.agents.find((a) => a.id === id);
    if (!found) {
      throw new RiposteError(ErrorCode.AGENT_NOT_FOUND, `Agent "${id}" is not enrolled`);
    }
    return found;
  }

  async addEnrollmentToken(name: string, ttlMs: number): Promise<{ token: string; expiresAt: number }> {
    this.record('addEnrollmentToken', name, ttlMs);
    return { token: `enroll-${name}`, expiresAt: 1_000 + ttlMs };
  }

  async enroll(req: EnrollRequest, peerAddress: string): Promise<EnrollResult> {
    this.record('enroll', req, peerAddress);
    await Promise.resolve();
    return { id: '003', name: req.name, cert: 'CERT', key: 'KEY', ca: 'CA' };
  }

  async removeAgent(id: string): Promise<void> {
    this.record('removeAgent', id);
    this.agents = this.agents.map((a) => (a.id === id ? { ...a, status: 'removed' } : a));
    if (!this.agents.some((a) => a.id === id)) {
      throw new RiposteError(ErrorCode.AGENT_NOT_FOUND, `Agent "${id}" is not enrolled`);
    }
  }

  async listActive(filter: ActiveFilter): Promise<FleetActiveResponse[]> {
    this.record('listActive', filter);
    return this.actives.filter((a) => matchesActive(a, filter));
  }

  async revert(key: string, agentId?: string): Promise<OrderInfo[]> {
    this.record('revert', key, agentId);
    const hits = this.actives.filter(
      (a) => a.key === key && (agentId === undefined || a.agentId === agentId),
    );
    if (hits.length === 0) {
      throw new RiposteError(ErrorCode.RESPONSE_NOT_FOUND, `Cannot revert "${key}": no such active response`);
    }
    return hits.map((a, i) => order(a.agentId, i + 1, { key }));
  }

  async run(req: RunRequest): Promise<WazuhStyleResult> {
    this.record('run', req);
    return this.runResult;
  }

  async listExecutions(filter: ExecutionFilter): Promise<FleetExecution[]> {
    this.record('listExecutions', filter);
    return this.executions.filter((e) => filter.agentId === undefined || e.agentId === filter.agentId);
  }

  async listOrders(filter: OrderFilter): Promise<OrderInfo[]> {
    this.record('listOrders', filter);
    return [order('001', 1, { state: filter.state ?? 'queued' })];
  }

  async stats(): Promise<ManagerStats> {
    return this.statsValue;
  }

  /** The configuration `config()` and `explain()` use; tests set it (loadConfig of a fixture). */
  configValue: Config | undefined;

  config(): Config {
    this.record('config');
    if (this.configValue === undefined) {
      throw new RiposteError(ErrorCode.INTERNAL, 'FakeManagerService: no configValue set');
    }
    return this.configValue;
  }

  async explain(alertLine: string): Promise<ExplainResult> {
    this.record('explain', alertLine);
    const parsed = parseAlertLine(alertLine);
    if (!parsed.ok) {
      throw new RiposteError(ErrorCode.ALERT_INVALID, `Cannot explain: ${parsed.error}`);
    }
    const agents = this.agents.map((a) => ({ id: a.id, active: a.status === 'active' }));
    return { alert: parsed.alert, decisions: planAlert(parsed.alert, this.config(), { agents }).decisions };
  }

  enrollTokens: EnrollTokenRecord[] = [
    { id: '0123456789ab', name: 'web-01', createdAt: 1_000, expiresAt: 90_000, usedAt: undefined },
  ];

  async listEnrollmentTokens(): Promise<EnrollTokenRecord[]> {
    this.record('listEnrollmentTokens');
    return Promise.resolve(this.enrollTokens);
  }

  async removeEnrollmentToken(id: string): Promise<EnrollTokenRecord> {
    this.record('removeEnrollmentToken', id);
    const found = this.enrollTokens.find((t) => t.id === id);
    if (found === undefined) {
      throw new RiposteError(
        ErrorCode.REQUEST_INVALID,
        `Cannot remove enrollment token "${id}": no such token`,
      );
    }
    this.enrollTokens = this.enrollTokens.filter((t) => t !== found);
    return Promise.resolve(found);
  }

  /** Runs `fn` over a fresh in-memory SQLite store holding `executions` (so queries have the store's semantics). */
  private async overExecutions<T>(fn: (store: ManagerStore) => Promise<T>): Promise<T> {
    const store = openSqliteManagerStore(':memory:');
    try {
      for (const e of [...this.executions].reverse()) {
        await store.recordExecution(e);
      }
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  async queryExecutions(query: ExecutionQuery): Promise<ExecutionPage> {
    this.record('queryExecutions', query);
    return this.overExecutions(async (s) => s.queryExecutions(query));
  }

  async countExecutionsPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    this.record('countExecutionsPerMinute', since, until);
    return this.overExecutions(async (s) => s.countExecutionsPerMinute(since, until));
  }

  async recentFailures(limit: number): Promise<FleetExecution[]> {
    this.record('recentFailures', limit);
    return this.overExecutions(async (s) => s.recentFailures(limit));
  }

  async lastFailurePerAgent(): Promise<FleetExecution[]> {
    this.record('lastFailurePerAgent');
    return this.overExecutions(async (s) => s.lastFailurePerAgent());
  }

  async executionsAfter(after: number, also: readonly number[], limit: number): Promise<NumberedExecution[]> {
    this.record('executionsAfter', after, also, limit);
    return this.overExecutions(async (s) => s.executionsAfter(after, also, limit));
  }

  async lastExecutionNumber(): Promise<number> {
    this.record('lastExecutionNumber');
    return this.overExecutions(async (s) => s.lastExecutionNumber());
  }

  recentAlertsValue: RecentAlert[] = [];

  async recentAlerts(limit: number): Promise<RecentAlert[]> {
    this.record('recentAlerts', limit);
    return Promise.resolve(this.recentAlertsValue.slice(0, limit));
  }

  onEvent(listener: ManagerEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}
