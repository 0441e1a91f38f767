/**
 * The verbs a bare agent (`riposte agent`) answers on its local API: list, revert, run, history and
 * status of its own active responses. They answer the same shapes as the manager's REST API (which
 * `riposte start` and `riposte manager` serve), so `riposte ar ... --home DIR` is one client for
 * every daemon. Alerts are not an agent's business: matching happens in a manager.
 */
import { matchesActive } from '../core/execd/active-filter.js';
import type { ExecutionRecord } from '../protocol/execution-records.js';
import type { ExecutionFilter } from '../core/execd/agent-store.js';
import { operatorRunRefusal } from '../core/match/response-guard.js';
import { runVerdict, wazuhResult, type WazuhResult } from '../core/orders/wazuh-result.js';
import { hostProtectedAddresses } from '../net/host-addresses.js';
import { buildArMessage } from '../protocol/ar-message.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { AgentRuntime } from '../agent/agent-runtime.js';
import type {
  ActiveFilter,
  FleetActiveResponse,
  FleetExecution,
  RevertAnswer,
  RunRequest,
} from '../protocol/fleet-records.js';
import { errorMessage } from '../protocol/error-message.js';
import { programName } from '../core/program-name.js';
import { UNNAMED_NODE } from '../core/config-model.js';

export interface AgentStatus {
  readonly agentId: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly activeResponses: number;
  readonly armedReverts: number;
}

/** An agent's own execution, in the manager's record shape (no order: nothing was dispatched). */
function fleetExecution(e: ExecutionRecord): FleetExecution {
  return { ...e, orderSeq: undefined, receivedAt: e.endedAt ?? e.startedAt };
}

export class AgentVerbs {
  /** Subscribers of the live feed (`GET /executions/stream`). */
  private readonly listeners = new Set<(e: FleetExecution) => void>();

  constructor(
    private readonly runtime: AgentRuntime,
    private readonly agentId: string,
    private readonly now: () => number = Date.now,
  ) {}

  status(): AgentStatus {
    const { runtime } = this;
    return {
      agentId: this.agentId,
      pid: process.pid,
      startedAt: runtime.startedAt,
      activeResponses: runtime.store.countActive(),
      armedReverts: runtime.execd.armed,
    };
  }

  listActive(filter: ActiveFilter): FleetActiveResponse[] {
    const reportedAt = this.now();
    return this.runtime.execd
      .listActive()
      .filter((a) => matchesActive(a, filter))
      .map((a) => ({ ...a, reportedAt }));
  }

  /** This agent's executions, newest first, filtered as the manager's history is (ExecutionQuery). */
  listExecutions(
    filter: ExecutionFilter & { readonly agentId?: string; readonly limit: number },
  ): FleetExecution[] {
    const { agentId, ...query } = filter;
    if (agentId !== undefined && agentId !== this.agentId) {
      return [];
    }
    return this.runtime.store.listExecutions(query).map(fleetExecution);
  }

  /**
   * Subscribes to this agent's executions as they are recorded with their outcome (the live feed
   * `riposte ar history --follow` reads). Returns the unsubscribe function.
   */
  onExecution(listener: (e: FleetExecution) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * The runtime recorded execution `id` (AgentRuntimeOptions.onExecution): tells the subscribers.
   * Reads the store only while someone follows. A throwing subscriber does not stop the others.
   */
  executionRecorded(id: number): void {
    if (this.listeners.size === 0) {
      return;
    }
    const record = this.runtime.store.getExecution(id);
    if (!record) {
      return;
    }
    const execution = fleetExecution(record);
    for (const listener of [...this.listeners]) {
      try {
        listener(execution);
      } catch (err) {
        this.runtime.log.warn(`Execution feed subscriber failed: ${errorMessage(err)}`);
      }
    }
  }

  /** Reverts now and answers the delete execution. @throws RiposteError RESPONSE_NOT_FOUND, AGENT_NOT_FOUND */
  async revert(key: string, agentId?: string): Promise<RevertAnswer> {
    if (agentId !== undefined && agentId !== this.agentId) {
      throw new RiposteError(
        ErrorCode.AGENT_NOT_FOUND,
        `Agent "${agentId}" is not this agent (${this.agentId})`,
      );
    }
    const result = await this.runtime.execd.revert(key);
    if (result?.executionId === undefined) {
      throw new RiposteError(
        ErrorCode.RESPONSE_NOT_FOUND,
        `No active response "${key}" on agent "${this.agentId}"`,
      );
    }
    return { orders: [], executions: [this.execution(result.executionId)] };
  }

  /**
   * Wazuh's `PUT /active-response` on this agent alone: the same per-agent verdicts as the manager
   * (1701 another agent, 1650 no command, 1652 not in ar.conf), then the run, awaited.
   */
  async run(req: RunRequest): Promise<WazuhResult> {
    this.guard(req);
    const ids = req.agents === 'all' ? [this.agentId] : req.agents;
    const names = new Set(this.runtime.resolver.names());
    const affected: string[] = [];
    const failed: { id: string; code: 1650 | 1652 | 1701 | 1707 | 1750 }[] = [];
    for (const id of ids) {
      const mine = id === this.agentId;
      const code = runVerdict({ id, exists: mine, active: mine, arDisabled: false }, req.command, names);
      if (code !== undefined) {
        failed.push({ id, code });
      } else {
        affected.push(id);
      }
    }
    if (affected.length > 0) {
      const message = buildArMessage({
        nodeName: UNNAMED_NODE,
        arName: req.command,
        extraArgs: req.arguments,
        alert: req.alert,
        module: 'API',
        ...(req.dryRun === true ? { dryRun: true } : {}),
      });
      await this.runtime.execd.submit(JSON.stringify(message));
    }
    return wazuhResult(affected, failed);
  }

  /**
   * The manager's guard for operator runs (response-guard.ts, issue 13.6): never-block addresses,
   * and no stateful block without a timeout. An agent has no white list of its own (the manager's
   * config holds it). @throws RiposteError REQUEST_INVALID
   */
  private guard(req: RunRequest): void {
    const found = this.runtime.resolver.resolve(req.command);
    const known = found.kind === 'found' || found.kind === 'custom';
    const refusal = operatorRunRefusal({
      command: req.command,
      arguments: req.arguments,
      program: known ? programName(found.program) : undefined,
      timeoutSec: found.kind === 'found' ? found.timeout : 0,
      alert: req.alert,
      whiteList: undefined,
      protectedAddresses: hostProtectedAddresses(),
    });
    if (refusal !== undefined) {
      throw new RiposteError(ErrorCode.REQUEST_INVALID, `Cannot run "${req.command}": ${refusal}`);
    }
  }

  private execution(id: number): FleetExecution {
    const record = this.runtime.store.getExecution(id);
    if (!record) {
      throw new RiposteError(ErrorCode.INTERNAL, `Execution ${id} was not recorded`);
    }
    return fleetExecution(record);
  }
}
