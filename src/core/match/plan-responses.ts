/**
 * Matching and dispatch planning: (alert, config, known agents) -> which AR rules fire, where, and
 * with which message (reference §1.2, §1.8, §3.4, §3.7). This is analysisd's decision, made once per
 * alert, with no I/O, no clock and no logging.
 *
 * Check order per rule, as in Wazuh: disabled block; binding (level 0 alerts, level/group/rules_id);
 * then, per alert, the crafted-input checks (dstuser 1272, srcip 1271) and the white list, which veto
 * every rule at once; then the targets by location.
 *
 * Two entry points share the same checks: `planDispatches` is the hot path (firing rules only, no
 * reason strings, binding memoised by binding-cache.ts) and `explainAlert` gives a verdict with a
 * reason for every rule.
 */
import { buildArMessage, type ArEnvelope } from '../../protocol/ar-message.js';
import type { AlertView } from '../../protocol/alert.js';
import type { ArRule, Config } from '../config-model.js';
import type { DecisionCode, KnownAgent, PlannedDispatch, RuleDecision } from './decision.js';
import { checkCraftedInput } from './crafted-input.js';
import { describeBinding, hasCriteria, ruleBinds } from './rule-binding.js';
import { activeRemoteAgents, resolveTargets } from './resolve-targets.js';
import { whiteListMatch } from './white-list-check.js';
import { boundRules } from './binding-cache.js';
import { quoteValue } from './quote-value.js';

/** An alert-wide veto: once it applies, no rule fires for this alert. */
interface AlertVeto {
  readonly code: DecisionCode;
  readonly reason: string;
}

/** Crafted-input checks, then the white list (only when the alert has a srcip). */
function alertVeto(alert: AlertView, config: Config): AlertVeto | undefined {
  const crafted = checkCraftedInput(alert);
  if (crafted) {
    return crafted;
  }
  if (alert.srcip === undefined) {
    return undefined;
  }
  const entry = whiteListMatch(config.whiteList, alert.srcip);
  return entry === undefined
    ? undefined
    : {
        code: 'white-listed',
        reason: `srcip ${quoteValue(alert.srcip)} is white-listed (${quoteValue(entry)})`,
      };
}

function messageFor(rule: ArRule, alert: AlertView, config: Config): ArEnvelope {
  return buildArMessage({
    nodeName: config.nodeName,
    arName: rule.arName,
    extraArgs: rule.command.extraArgs,
    alert: alert.raw,
  });
}

/**
 * The AR dispatches an alert causes, in config order; only rules that fire and have at least one
 * target. `agents` is used for the `all` location (active agents other than "000").
 */
export function planDispatches(
  alert: AlertView,
  config: Config,
  agents: readonly KnownAgent[],
): PlannedDispatch[] {
  const bound = boundRules(alert, config);
  if (bound.length === 0 || alertVeto(alert, config)) {
    return [];
  }
  const remote = activeRemoteAgents(agents);
  const out: PlannedDispatch[] = [];
  for (const ruleIndex of bound) {
    const rule = config.rules[ruleIndex];
    const targets = rule ? resolveTargets(rule, alert.agentId, remote) : [];
    if (rule && targets.length > 0) {
      const message = messageFor(rule, alert, config);
      out.push({ ruleIndex, arName: rule.arName, command: rule.command, targets, message });
    }
  }
  return out;
}

interface ExplainContext {
  readonly alert: AlertView;
  readonly config: Config;
  readonly veto: AlertVeto | undefined;
  readonly remote: readonly string[];
}

function noFire(rule: ArRule, ruleIndex: number, code: DecisionCode, reason: string): RuleDecision {
  return { ruleIndex, rule, fires: false, code, reason, targets: [], message: undefined };
}

function decideRule(ctx: ExplainContext, rule: ArRule, ruleIndex: number): RuleDecision {
  if (rule.disabled) {
    return noFire(rule, ruleIndex, 'disabled', 'disabled');
  }
  const reason = describeBinding(rule, ctx.alert);
  if (!ruleBinds(rule, ctx.alert)) {
    const code =
      ctx.alert.level <= 0 ? 'alert-level-zero' : hasCriteria(rule) ? 'not-matched' : 'no-criteria';
    return noFire(rule, ruleIndex, code, reason);
  }
  if (ctx.veto) {
    return noFire(rule, ruleIndex, ctx.veto.code, ctx.veto.reason);
  }
  const targets = resolveTargets(rule, ctx.alert.agentId, ctx.remote);
  if (targets.length === 0) {
    return noFire(
      rule,
      ruleIndex,
      'no-targets',
      `${reason}; but no active agent for location "${rule.locationRaw}"`,
    );
  }
  const message = messageFor(rule, ctx.alert, ctx.config);
  return { ruleIndex, rule, fires: true, code: 'fires', reason, targets, message };
}

/**
 * A verdict for every AR rule, in config order, with the reason; the firing ones carry the same
 * targets and message as {@link planDispatches}.
 */
export function explainAlert(
  alert: AlertView,
  config: Config,
  agents: readonly KnownAgent[],
): RuleDecision[] {
  const ctx: ExplainContext = {
    alert,
    config,
    veto: alertVeto(alert, config),
    remote: activeRemoteAgents(agents),
  };
  return config.rules.map((rule, i) => decideRule(ctx, rule, i));
}
