/**
 * The CLI's rows for active responses and executions (`riposte ar list|history`, their
 * `--output json` lines): snake_case, `expires_in` in seconds relative to `now`. Read from the
 * APIs' answers, whose times are already ISO-8601 (protocol/api-times.ts).
 */
import type { ApiTimes } from '../../protocol/api-times.js';
import type { ActiveResponse, ExecutionRecord } from '../../protocol/execution-records.js';

/** An active response as an API answers it (ISO times). */
export type ActiveWire = ApiTimes<ActiveResponse>;
/** An execution as an API answers it (ISO times; `endedAt` absent while running). */
export type ExecutionWire = ApiTimes<ExecutionRecord>;

const iso = (t: string | undefined): string | null => t ?? null;

export interface ActiveView {
  readonly key: string;
  readonly ar_name: string;
  readonly program: string;
  readonly agent_id: string;
  readonly since: string | null;
  readonly last_added: string | null;
  readonly expires_at: string | null;
  readonly expires_in: number;
  readonly timeout: number;
  readonly repeat_count: number;
  readonly srcip: string | null;
  readonly user: string | null;
  readonly alert_id: string | null;
  readonly rule_id: number | null;
}

export function activeView(a: ActiveWire, now: number): ActiveView {
  return {
    key: a.key,
    ar_name: a.arName,
    program: a.program,
    agent_id: a.agentId,
    since: iso(a.createdAt),
    last_added: iso(a.addedAt),
    expires_at: iso(a.expiresAt),
    expires_in: Math.max(0, Math.ceil((Date.parse(a.expiresAt) - now) / 1000)),
    timeout: a.timeoutSec,
    repeat_count: a.repeatCount,
    srcip: a.srcip ?? null,
    user: a.user ?? null,
    alert_id: a.alertId ?? null,
    rule_id: a.ruleId ?? null,
  };
}

export interface ExecutionView {
  readonly id: number;
  readonly key: string | null;
  readonly ar_name: string;
  readonly program: string;
  readonly action: ExecutionRecord['action'];
  readonly agent_id: string;
  readonly alert_id: string | null;
  readonly rule_id: number | null;
  readonly srcip: string | null;
  readonly user: string | null;
  readonly started_at: string | null;
  readonly ended_at: string | null;
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly timed_out: boolean;
  readonly status: ExecutionRecord['status'];
  readonly note: string | null;
  readonly stderr_tail: string;
}

export function executionView(e: ExecutionWire): ExecutionView {
  return {
    id: e.id,
    key: e.key ?? null,
    ar_name: e.arName,
    program: e.program,
    action: e.action,
    agent_id: e.agentId,
    alert_id: e.alertId ?? null,
    rule_id: e.ruleId ?? null,
    srcip: e.srcip ?? null,
    user: e.user ?? null,
    started_at: iso(e.startedAt),
    ended_at: iso(e.endedAt),
    exit_code: e.exitCode ?? null,
    signal: e.signal ?? null,
    timed_out: e.timedOut,
    status: e.status,
    note: e.note ?? null,
    stderr_tail: e.stderrTail,
  };
}
