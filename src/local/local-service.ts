/**
 * The application service behind the local API and the `riposte ar` commands on one host: list,
 * revert, run, history, status, and (in `riposte start`) alert ingestion. The API routes only
 * parse, call these and map errors (style rule 12).
 */
import type { Config } from '../core/config-model.js';
import { planAllInOne } from '../core/match/plan-all-in-one.js';
import type { ActiveResponse, ExecutionRecord } from '../protocol/execution-records.js';
import { operatorRunRefusal } from '../core/match/response-guard.js';
import { hostProtectedAddresses } from '../net/host-addresses.js';
import { parseAlertLine } from '../protocol/alert.js';
import { getPath } from '../protocol/json.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { AgentRuntime } from '../agent/agent-runtime.js';
import { manualRunMessage, type ManualRunRequest } from './manual-run.js';

export interface IngestSummary {
  readonly accepted: number;
  readonly fired: number;
  readonly rejected: readonly { readonly line: number; readonly error: string }[];
}

export interface StatusInfo {
  readonly agentId: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly activeResponses: number;
  readonly armedReverts: number;
  readonly alertsIngested: number;
  readonly responsesFired: number;
}

export interface LocalServiceOptions {
  readonly runtime: AgentRuntime;
  /** The manager config, in `riposte start`; absent for a bare agent (no alert ingestion). */
  readonly config?: Config;
  readonly agentId: string;
}

export class LocalService {
  private alertsIngested = 0;
  private responsesFired = 0;

  constructor(private readonly opts: LocalServiceOptions) {}

  status(): StatusInfo {
    const { runtime } = this.opts;
    return {
      agentId: this.opts.agentId,
      pid: process.pid,
      startedAt: runtime.startedAt,
      activeResponses: runtime.store.countActive(),
      armedReverts: runtime.execd.armed,
      alertsIngested: this.alertsIngested,
      responsesFired: this.responsesFired,
    };
  }

  listActive(): ActiveResponse[] {
    return this.opts.runtime.execd.listActive();
  }

  history(limit: number): ExecutionRecord[] {
    return this.opts.runtime.store.listExecutions({ limit });
  }

  /** @throws RiposteError RESPONSE_NOT_FOUND */
  async revert(key: string): Promise<ExecutionRecord> {
    const result = await this.opts.runtime.execd.revert(key);
    if (result?.executionId === undefined) {
      throw new RiposteError(ErrorCode.RESPONSE_NOT_FOUND, `Cannot revert "${key}": no such active response`);
    }
    return this.execution(result.executionId);
  }

  async revertAll(): Promise<ExecutionRecord[]> {
    const results = await this.opts.runtime.execd.revertAll();
    return results.flatMap((r) => (r?.executionId === undefined ? [] : [this.execution(r.executionId)]));
  }

  /** @throws RiposteError REQUEST_INVALID, AR_COMMAND_UNKNOWN */
  async run(req: ManualRunRequest): Promise<ExecutionRecord> {
    const { runtime, config } = this.opts;
    const rule = config?.rules.find((r) => r.arName === req.name && !r.disabled);
    const message = manualRunMessage(req, rule?.command.extraArgs ?? []);
    const found = runtime.resolver.resolve(req.name);
    if (found.kind !== 'found' && found.kind !== 'custom') {
      throw new RiposteError(
        ErrorCode.AR_COMMAND_UNKNOWN,
        `Cannot run "${req.name}": ${found.kind === 'rejected' ? found.log : 'not an active response in etc/shared/ar.conf, or its executable is missing'}`,
      );
    }
    // The same guard as the manager's PUT /active-response (issue 13.6).
    const refusal = operatorRunRefusal({
      command: req.name,
      program: found.program.slice(found.program.lastIndexOf('/') + 1),
      timeoutSec: found.timeout,
      alert: getPath(message, ['parameters', 'alert']),
      whiteList: config?.whiteList,
      protectedAddresses: hostProtectedAddresses(),
    });
    if (refusal !== undefined) {
      throw new RiposteError(ErrorCode.REQUEST_INVALID, `Cannot run "${req.name}": ${refusal}`);
    }
    const result = await runtime.execd.runJob({
      message,
      arName: req.name,
      program: found.program,
      timeoutSec: found.timeout,
    });
    if (!result) {
      throw new RiposteError(ErrorCode.INTERNAL, `Running "${req.name}" failed; see the daemon log`);
    }
    return this.execution(result.executionId);
  }

  /**
   * Parses alerts.json lines, plans them (every location is this host) and submits each response.
   * Returns at once: executions run in the background and are recorded as usual.
   */
  ingest(lines: readonly string[]): IngestSummary {
    const config = this.opts.config;
    if (!config) {
      throw new RiposteError(ErrorCode.REQUEST_INVALID, 'This daemon is an agent: it does not take alerts');
    }
    const rejected: { line: number; error: string }[] = [];
    let fired = 0;
    let accepted = 0;
    lines.forEach((text, i) => {
      if (text.trim() === '') {
        return;
      }
      const parsed = parseAlertLine(text);
      if (!parsed.ok) {
        rejected.push({ line: i + 1, error: parsed.error });
        return;
      }
      accepted++;
      this.alertsIngested++;
      this.opts.runtime.log.debug('alert ingested', { alert: parsed.alert.id, rule: parsed.alert.ruleId });
      if (config.agent.disabled) {
        return; // execd is disabled (first <disabled>yes</disabled>): nothing runs, as in Wazuh.
      }
      for (const d of planAllInOne(parsed.alert, config)) {
        fired++;
        void this.opts.runtime.execd.submit(JSON.stringify(d.message));
      }
    });
    this.responsesFired += fired;
    return { accepted, fired, rejected };
  }

  private execution(id: number): ExecutionRecord {
    const record = this.opts.runtime.store.getExecution(id);
    if (!record) {
      throw new RiposteError(ErrorCode.INTERNAL, `Execution ${id} was not recorded`);
    }
    return record;
  }
}
