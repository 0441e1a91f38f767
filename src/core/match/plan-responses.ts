/**
 * The one planner: (alert, config, known agents) -> for every AR rule, in config order, whether it
 * fires, why (a stable code and one line of English), where, and with which message (reference
 * §1.2, §1.8, §3.4, §3.7). This is analysisd's decision, made once per alert, with no I/O, no clock
 * and no logging. The manager's dispatch reads `plan.firing`; `riposte explain` prints
 * `plan.decisions`; both read the same result.
 *
 * Check order per rule, as in Wazuh: disabled block; binding (level 0 alerts, level/group/rules_id);
 * then, per alert, the crafted-input checks (dstuser 1272, srcip 1271) and the white list, which veto
 * every rule at once; then the targets by location (or, on a single host, this host: "000").
 *
 * Cost: the binding is memoised (binding-cache.ts), a reason string is built only when read
 * (`reason` is a getter), and the decisions of the rules that do not bind only when `decisions` is
 * read, so the dispatch hot path builds nothing for the rules that do not fire.
 */
import { buildArMessage, type ArEnvelope } from '../../protocol/ar-message.js';
import type { AlertView } from '../../protocol/alert.js';
import type { ArRule, Config, WhiteList } from '../config-model.js';
import type { DecisionCode, KnownAgent, RuleDecision } from './decision.js';
import { checkCraftedInput } from './crafted-input.js';
import { describeBinding, hasCriteria } from './rule-binding.js';
import { activeRemoteAgents, MANAGER_ID, resolveTargets } from './resolve-targets.js';
import { whiteListMatch } from './white-list-check.js';
import { alertTargets } from './never-block.js';
import { boundRules } from './binding-cache.js';
import { quoteValue } from './quote-value.js';

export interface PlanContext {
  /** Known agents, for the `all` location (active agents other than "000"). */
  readonly agents: readonly KnownAgent[];
  /**
   * `riposte start`: the manager and its only agent are this host, so every location resolves to
   * "000" (once per firing rule). @default false
   */
  readonly singleHost?: boolean;
}

/** What the planner decided for one alert. */
export interface AlertPlan {
  /** One decision per AR rule, in config order. */
  readonly decisions: readonly RuleDecision[];
  /** The decisions that fire (each with at least one target and its message), in config order. */
  readonly firing: readonly RuleDecision[];
  /** What stopped every rule bound to the alert (crafted input, white list); undefined when none. */
  readonly veto: AlertVeto | undefined;
}

/** An alert-wide veto: once it applies, no rule fires for this alert. */
export interface AlertVeto {
  readonly code: DecisionCode;
  readonly reason: string;
}

/** Crafted-input checks, then the white list. */
function alertVeto(alert: AlertView, config: Config): AlertVeto | undefined {
  return checkCraftedInput(alert) ?? whiteListVeto(alert, config.whiteList);
}

/**
 * The white list, on `data.srcip` as analysisd checks it (reference §1.8 step 1), and, unlike
 * Wazuh, on every other address a stock script may act on (`data.win.eventdata.ipAddress`,
 * `destinationIp`: the scripts read them before srcip, reference §5): a white-listed address is
 * never blocked, whichever field carries it (docs/compatibility.md).
 */
function whiteListVeto(alert: AlertView, whiteList: WhiteList): AlertVeto | undefined {
  if (whiteList.networks.length === 0 && whiteList.patterns.length === 0) {
    return undefined;
  }
  const { srcip } = alert;
  const entry = srcip === undefined ? undefined : whiteListMatch(whiteList, srcip);
  if (srcip !== undefined && entry !== undefined) {
    const reason = `srcip ${quoteValue(srcip)} is white-listed (${quoteValue(entry)})`;
    return { code: 'white-listed', reason };
  }
  for (const target of alertTargets(alert.raw)) {
    if (target === srcip) {
      continue; // data.srcip, checked above
    }
    const other = whiteListMatch(whiteList, target);
    if (other !== undefined) {
      const reason = `target ${quoteValue(target)} is white-listed (${quoteValue(other)})`;
      return { code: 'white-listed', reason };
    }
  }
  return undefined;
}

function messageFor(rule: ArRule, alert: AlertView, config: Config): ArEnvelope {
  return buildArMessage({
    nodeName: config.nodeName,
    arName: rule.arName,
    extraArgs: rule.command.extraArgs,
    alert: alert.raw,
  });
}

interface DecisionFields {
  readonly ruleIndex: number;
  readonly rule: ArRule;
  readonly code: DecisionCode;
  /** Builds the reason text; called at most once, on first read. */
  readonly why: () => string;
  readonly targets?: readonly string[];
  readonly message?: ArEnvelope;
}

/** A decision whose reason text is built on first read (then kept). */
class Decision implements RuleDecision {
  readonly ruleIndex: number;
  readonly rule: ArRule;
  readonly fires: boolean;
  readonly code: DecisionCode;
  readonly targets: readonly string[];
  readonly message: ArEnvelope | undefined;
  private readonly why: () => string;
  private text: string | undefined;

  constructor(f: DecisionFields) {
    this.ruleIndex = f.ruleIndex;
    this.rule = f.rule;
    this.code = f.code;
    this.fires = f.code === 'fires';
    this.targets = f.targets ?? [];
    this.message = f.message;
    this.why = f.why;
  }

  get reason(): string {
    this.text ??= this.why();
    return this.text;
  }
}

interface Inputs {
  readonly alert: AlertView;
  readonly config: Config;
  readonly veto: AlertVeto | undefined;
  readonly remote: readonly string[];
  readonly singleHost: boolean;
}

function unbound(inp: Inputs, rule: ArRule, i: number): RuleDecision {
  if (rule.disabled) {
    return new Decision({ ruleIndex: i, rule, code: 'disabled', why: () => 'disabled' });
  }
  const code: DecisionCode =
    inp.alert.level <= 0 ? 'alert-level-zero' : hasCriteria(rule) ? 'not-matched' : 'no-criteria';
  return new Decision({ ruleIndex: i, rule, code, why: () => describeBinding(rule, inp.alert) });
}

function bound(inp: Inputs, rule: ArRule, i: number): RuleDecision {
  const { veto, alert } = inp;
  if (veto) {
    return new Decision({ ruleIndex: i, rule, code: veto.code, why: () => veto.reason });
  }
  const targets = inp.singleHost ? [MANAGER_ID] : resolveTargets(rule, alert.agentId, inp.remote);
  if (targets.length === 0) {
    const why = (): string =>
      `${describeBinding(rule, alert)}; but no active agent for location "${rule.locationRaw}"`;
    return new Decision({ ruleIndex: i, rule, code: 'no-targets', why });
  }
  const message = messageFor(rule, alert, inp.config);
  const why = (): string => describeBinding(rule, alert);
  return new Decision({ ruleIndex: i, rule, code: 'fires', why, targets, message });
}

/**
 * The plan of one alert. `firing` and `veto` are computed at once (the dispatch reads only them);
 * the full `decisions` list, which adds one decision per rule that does not bind (for `explain`
 * and the console), is built on first read from the same inputs, so a dispatch on a config of many
 * rules allocates nothing for the rules that do not bind.
 */
class Plan implements AlertPlan {
  readonly firing: readonly RuleDecision[];
  readonly veto: AlertVeto | undefined;
  private readonly inp: Inputs;
  private readonly boundOnes: readonly RuleDecision[];
  private all: readonly RuleDecision[] | undefined;

  constructor(inp: Inputs, boundOnes: readonly RuleDecision[]) {
    this.inp = inp;
    this.boundOnes = boundOnes;
    this.veto = inp.veto;
    this.firing = boundOnes.filter((d) => d.fires);
  }

  get decisions(): readonly RuleDecision[] {
    this.all ??= everyDecision(this.inp, this.boundOnes);
    return this.all;
  }
}

/** One decision per rule, in config order: the bound rules' own, `unbound` for the others. */
function everyDecision(inp: Inputs, boundOnes: readonly RuleDecision[]): RuleDecision[] {
  let next = 0;
  return inp.config.rules.map((rule, i) => {
    const b = boundOnes[next];
    if (b !== undefined && b.ruleIndex === i) {
      next++;
      return b;
    }
    return unbound(inp, rule, i);
  });
}

/** Plans one alert (see the module header). */
export function planAlert(alert: AlertView, config: Config, ctx: PlanContext): AlertPlan {
  const binding = boundRules(alert, config);
  const inp: Inputs = {
    alert,
    config,
    veto: binding.length === 0 ? undefined : alertVeto(alert, config),
    remote: activeRemoteAgents(ctx.agents),
    singleHost: ctx.singleHost === true,
  };
  const boundOnes: RuleDecision[] = [];
  for (const i of binding) {
    const rule = config.rules[i];
    if (rule !== undefined) {
      boundOnes.push(bound(inp, rule, i));
    }
  }
  return new Plan(inp, boundOnes);
}
