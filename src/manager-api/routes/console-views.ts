/**
 * Read-only views the console shows, each also an API feature:
 * - `GET /overview`: active responses by command and agent, top source IPs and users among them,
 *   executions per minute over 24 h by outcome, recent failing executions, disconnected agents;
 * - `GET /rules`: the loaded `<active-response>` configuration as rows, the white list, and the
 *   load's diagnostics (what `riposte check` warns about);
 * - `GET /rules/check`: a fresh `riposte check` of the configuration file as it is on disk now
 *   (errors and warnings; the running configuration changes only at a restart), with `--home`'s
 *   check of the executables in the manager's active-response/bin when that directory exists;
 * - `GET /alerts/recent?limit=`: the distinct alerts that recently caused orders, whole (the
 *   Simulate page's "pick a recent one");
 * - `POST /explain {alert}`: `riposte explain` for one alert against the running configuration
 *   and the fleet's agents as known now. Changes nothing (POST because the alert is a body).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../core/config-model.js';
import type { FleetActiveResponse, FleetExecution } from '../../protocol/fleet-records.js';
import type { ExplainResult } from '../../manager/manager-service.js';
import type { JsonObject } from '../../protocol/json.js';
import type { ManagerApiDeps } from '../api-deps.js';
import type { ReadModels } from '../read-models.js';
import { RECENT_LIMIT, strictObject } from '../schemas.js';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfigResult } from '../../config/load-config.js';
import { AR_BIN_DIR } from '../../core/ar-conf.js';
import { perMinuteSeries, perMinuteWindow } from '../per-minute-series.js';
import { MAX_RECENT_ALERTS } from '../../manager/console-queries.js';

/** Rows in each "top" list of the overview. */
export const TOP_N = 10;
/** Failing executions listed by the overview. */
export const FAILING_N = 20;

export interface Count {
  readonly name: string;
  readonly count: number;
}

/** The `n` most frequent values of `key` among `rows`, most frequent first (ties by name). */
export function topCounts<T>(rows: readonly T[], key: (row: T) => string | undefined, n: number): Count[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const k = key(r);
    if (k !== undefined) {
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return [...counts]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
    .slice(0, n);
}

async function overview(deps: ManagerApiDeps, views: ReadModels): Promise<JsonObject> {
  const active: FleetActiveResponse[] = (await views.active()).all();
  const failing: FleetExecution[] = await deps.service.recentFailures(FAILING_N);
  const agents = await deps.service.listAgents();
  const now = deps.now();
  const { since, until } = perMinuteWindow(now);
  const counts = await deps.service.countExecutionsPerMinute(since, until);
  return {
    activeTotal: active.length,
    activeByCommand: topCounts(active, (a) => a.arName, TOP_N),
    activeByAgent: topCounts(active, (a) => a.agentId, TOP_N),
    topSourceIps: topCounts(active, (a) => a.srcip, TOP_N),
    topUsers: topCounts(active, (a) => a.user, TOP_N),
    perMinute: perMinuteSeries(counts, now),
    failing,
    disconnectedAgents: agents.filter((a) => a.status === 'disconnected'),
  } as unknown as JsonObject;
}

/** The rules view of a configuration. */
export function rulesView(config: Config): JsonObject {
  return {
    file: config.file,
    rules: config.rules.map((r) => ({
      command: r.command.name,
      arName: r.arName,
      executable: r.command.executable,
      location: r.locationRaw,
      ...(r.agentIds.length > 0 ? { agentId: r.agentIds.join(',') } : {}),
      ...(r.level !== undefined ? { level: r.level } : {}),
      groups: r.rulesGroup === undefined ? [] : [r.rulesGroup.source],
      rulesIds: r.rulesId.map(String),
      ...(r.timeout > 0 ? { timeoutSec: r.timeout } : {}),
      disabled: r.disabled,
      line: r.line,
    })),
    whiteList: [...config.whiteList.entries],
    diagnostics: config.warnings.map((message) => ({ severity: 'warning', message })),
  };
}

/** `riposte check --home`'s errors for `home`, or undefined when it has no active-response/bin. */
async function executableErrors(config: Config, home: string): Promise<string[] | undefined> {
  if (!(await isDirectory(path.join(home, AR_BIN_DIR)))) {
    return undefined;
  }
  const [{ checkExecutables }, { stockScripts }] = await Promise.all([
    import('../../home/check-executables.js'),
    import('../../scripts/registry.js'),
  ]);
  return checkExecutables(config, home, new Set(stockScripts.keys()));
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A fresh `riposte check` of `file` (with `--home home` when given): what it would print, as
 * diagnostics. `executablesChecked` says whether the executables were looked at.
 */
export async function checkView(file: string, at: number, home?: string): Promise<JsonObject> {
  const r = await loadConfigResult(file, 'manager');
  const warnings = (r.ok ? r.config.warnings : r.warnings).map((message) => ({
    severity: 'warning',
    message,
  }));
  const missing = r.ok && home !== undefined ? await executableErrors(r.config, home) : undefined;
  const errors = [...(r.ok ? [] : r.errors), ...(missing ?? [])].map((message) => ({
    severity: 'error',
    message,
  }));
  return {
    file,
    checkedAt: at,
    ok: errors.length === 0,
    ...(r.ok ? { rules: r.config.rules.length, commands: r.config.commands.length } : {}),
    executablesChecked: missing !== undefined,
    diagnostics: [...errors, ...warnings],
  };
}

/** `riposte explain --json`'s record for one alert (same keys, same order). */
export function explainView(r: ExplainResult): JsonObject {
  return {
    alert_id: r.alert.id ?? null,
    rule_id: String(r.alert.ruleId),
    responses: r.decisions.map((d) => ({
      command: d.rule.command.name,
      ar_name: d.rule.arName,
      location: d.rule.locationRaw,
      fires: d.fires,
      reason: d.reason,
      targets: [...d.targets],
      message: d.message ?? null,
    })),
  };
}

const explainSchema = { body: strictObject({ alert: { type: 'object' } }, ['alert']) };
const recentSchema = {
  querystring: strictObject({ limit: RECENT_LIMIT }),
};

export function register(app: FastifyInstance, deps: ManagerApiDeps, views: ReadModels): void {
  app.get('/overview', { config: { access: 'read' } }, async () => overview(deps, views));
  app.get('/rules', { config: { access: 'read' } }, async () => rulesView(deps.service.config()));
  app.get('/rules/check', { config: { access: 'read' } }, async () =>
    checkView(deps.service.config().file, deps.now(), deps.home),
  );
  app.get<{ Querystring: { limit?: string } }>(
    '/alerts/recent',
    { schema: recentSchema, config: { access: 'read' } },
    async (request) => {
      const limit = Math.min(Number(request.query.limit ?? 10), MAX_RECENT_ALERTS);
      const items = (await deps.service.recentAlerts(limit)).map((a) => ({
        ...(a.id === undefined ? {} : { id: a.id }),
        receivedAt: a.receivedAt,
        agents: a.agents,
        alert: a.alert,
      }));
      return { items, total: items.length };
    },
  );
  app.post<{ Body: { alert: JsonObject } }>(
    '/explain',
    { schema: explainSchema, config: { access: 'read' } },
    async (request) => explainView(await deps.service.explain(JSON.stringify(request.body.alert))),
  );
}
