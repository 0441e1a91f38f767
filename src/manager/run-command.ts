/**
 * Wazuh's `PUT /active-response` on the Riposte manager: the verdict per agent (pure, in
 * core/orders/wazuh-result.ts), then one durable `api` order per accepted agent. The message is the
 * API's (reference §1.9): module "API", the given arguments as extra_args, the given alert.
 */
import { DEFAULT_AR_CONF_LINES } from '../core/ar-conf.js';
import { runVerdict, wazuhResult, type WazuhArErrorCode } from '../core/orders/wazuh-result.js';
import { operatorRunRefusal } from '../core/match/response-guard.js';
import { hostProtectedAddresses } from '../net/host-addresses.js';
import { buildArMessage, type ArEnvelope } from '../protocol/ar-message.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { LOCAL_AGENT_ID, type ManagerContext } from './manager-context.js';
import type { RunRequest } from '../protocol/fleet-records.js';
import type { WazuhStyleResult } from './manager-service.js';
import { queueOrders, type OrderRequest } from './order-delivery.js';
import { UNNAMED_NODE } from '../core/config-model.js';

/** AR names the manager's ar.conf defines (the default lines and every enabled rule). */
export function arConfNames(ctx: ManagerContext): Set<string> {
  const names = new Set(DEFAULT_AR_CONF_LINES.map((l) => l.slice(0, l.indexOf(' '))));
  for (const r of ctx.config.rules) {
    if (!r.disabled) {
      names.add(r.arName);
    }
  }
  return names;
}

async function targetsOf(ctx: ManagerContext, agents: RunRequest['agents']): Promise<string[]> {
  if (agents !== 'all') {
    return [...new Set(agents)];
  }
  if (ctx.singleHost) {
    return [LOCAL_AGENT_ID]; // one host: "every agent" is this host's agent 000
  }
  return (await ctx.store.listAgents()).filter((a) => a.removedAt === undefined).map((a) => a.id);
}

async function targetFacts(
  ctx: ManagerContext,
  id: string,
): Promise<{ id: string; exists: boolean; active: boolean; arDisabled: boolean }> {
  if (id === LOCAL_AGENT_ID) {
    const active = ctx.sessions.isReady(id);
    return { id, exists: active, active, arDisabled: false };
  }
  const a = await ctx.store.getAgent(id);
  const exists = a !== undefined && a.removedAt === undefined;
  const active =
    exists && (ctx.sessions.isReady(id) || ctx.cluster?.connectedElsewhere(a, ctx.now()) === true);
  return { id, exists, active, arDisabled: a?.arDisabled ?? false };
}

/** The program (basename) and timeout `command` runs: "!x" runs x statelessly, else its AR rule. */
function programOf(
  ctx: ManagerContext,
  command: string,
): { program: string | undefined; timeoutSec: number } {
  if (command.startsWith('!')) {
    return { program: command.slice(command.lastIndexOf('/') + 1).replace(/^!/, ''), timeoutSec: 0 };
  }
  const rule = ctx.config.rules.find((r) => r.arName === command && !r.disabled);
  return { program: rule?.command.executable, timeoutSec: rule?.timeout ?? 0 };
}

/**
 * The message the API sends for `req` (reference §1.9): module "API", and as `origin.name` the
 * cluster node's name, or null without one (analysisd writes "undefined" there instead).
 */
export function apiArMessage(nodeName: string, req: RunRequest): ArEnvelope {
  return buildArMessage({
    nodeName: nodeName === UNNAMED_NODE ? null : nodeName,
    arName: req.command,
    extraArgs: req.arguments,
    alert: req.alert,
    module: 'API',
    ...(req.dryRun === true ? { dryRun: true } : {}),
  });
}

/**
 * Runs `req` on its agents; failures are per agent in the result.
 * @throws RiposteError REQUEST_INVALID when the target is never-block or white-listed, or the run
 *   would block with no timeout (response-guard.ts; issue 13.6).
 */
export async function runCommand(ctx: ManagerContext, req: RunRequest): Promise<WazuhStyleResult> {
  const refusal = operatorRunRefusal({
    command: req.command,
    arguments: req.arguments,
    ...programOf(ctx, req.command),
    alert: req.alert,
    whiteList: ctx.config.whiteList,
    protectedAddresses: hostProtectedAddresses(),
  });
  if (refusal !== undefined) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `Cannot run "${req.command}": ${refusal}`);
  }
  const names = arConfNames(ctx);
  const message = JSON.stringify(apiArMessage(ctx.config.nodeName, req));
  const affected: string[] = [];
  const failed: { id: string; code: WazuhArErrorCode }[] = [];
  const createdAt = ctx.now();
  const reqs: OrderRequest[] = [];
  for (const id of await targetsOf(ctx, req.agents)) {
    const code = runVerdict(await targetFacts(ctx, id), req.command, names);
    if (code !== undefined) {
      failed.push({ id, code });
      continue;
    }
    ctx.emit({ type: 'response-fired', command: req.command, count: 1 });
    reqs.push({ agentId: id, kind: 'add', source: 'api', arName: req.command, payload: message, createdAt });
    affected.push(id);
  }
  await queueOrders(ctx, reqs);
  return wazuhResult(affected, failed);
}
