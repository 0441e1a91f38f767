/**
 * Rule <-> AR binding (reference §3.4, Wazuh's `Rule_AddAR`): does an AR rule apply to the rule that
 * produced an alert? Wazuh decides this once per rule at load; Riposte only sees alerts, so it decides
 * per alert from `rule.level`, `rule.groups` and `rule.id`, which gives the same answer.
 *
 * Pure: no I/O. `ruleBinds` is the hot path (no allocation); `describeBinding` explains the same
 * decision in words and must agree with it (a test checks that).
 */
import type { AlertView } from '../../protocol/alert.js';
import type { ArRule } from '../config-model.js';
import { quoteValue } from './quote-value.js';

/** True when the AR rule has at least one criterion (level, rules_group, rules_id). */
export function hasCriteria(rule: ArRule): boolean {
  return rule.level !== undefined || rule.rulesGroup !== undefined || rule.rulesId.length > 0;
}

function levelOk(rule: ArRule, alert: AlertView): boolean {
  return rule.level !== undefined && alert.level >= rule.level;
}

function groupOk(rule: ArRule, alert: AlertView): boolean {
  return rule.rulesGroup !== undefined && rule.rulesGroup.test(alert.groupString);
}

/**
 * Wazuh's binding: level 0 rules never bind; level AND group when both are set, else level OR group;
 * OR rule id in `rules_id`. A rule with no criterion never binds. `disabled` is not looked at here.
 */
export function ruleBinds(rule: ArRule, alert: AlertView): boolean {
  if (alert.level <= 0) {
    return false;
  }
  if (rule.rulesId.includes(alert.ruleId)) {
    return true;
  }
  if (rule.level !== undefined && rule.rulesGroup !== undefined) {
    return levelOk(rule, alert) && groupOk(rule, alert);
  }
  return levelOk(rule, alert) || groupOk(rule, alert);
}

function levelText(rule: ArRule, alert: AlertView): string | undefined {
  if (rule.level === undefined) {
    return undefined;
  }
  return levelOk(rule, alert)
    ? `level ${alert.level} >= ${rule.level}`
    : `level ${alert.level} < ${rule.level}`;
}

function groupText(rule: ArRule, alert: AlertView): string | undefined {
  if (rule.rulesGroup === undefined) {
    return undefined;
  }
  const verb = groupOk(rule, alert) ? 'matches' : 'does not match';
  return `groups ${quoteValue(alert.groupString)} ${verb} rules_group ${JSON.stringify(rule.rulesGroup.source)}`;
}

function idText(rule: ArRule, alert: AlertView): string | undefined {
  if (rule.rulesId.length === 0) {
    return undefined;
  }
  const verb = rule.rulesId.includes(alert.ruleId) ? 'in' : 'not in';
  return `rule ${alert.ruleId} ${verb} rules_id ${rule.rulesId.join(',')}`;
}

/** Why a bound rule binds (rules_id is handled by the caller). */
function boundText(rule: ArRule, alert: AlertView): string {
  const level = levelText(rule, alert);
  const group = groupText(rule, alert);
  if (level !== undefined && group !== undefined) {
    return `${level} and ${group}`;
  }
  return (levelOk(rule, alert) ? level : group) ?? '';
}

/** Every failed criterion of a rule that does not bind. */
function unboundText(rule: ArRule, alert: AlertView): string {
  const level = levelText(rule, alert);
  const group = groupText(rule, alert);
  // With both set (AND), only the failing half is the reason; otherwise (OR) both failed.
  const both = level !== undefined && group !== undefined;
  const parts = [
    both && levelOk(rule, alert) ? undefined : level,
    both && groupOk(rule, alert) ? undefined : group,
    idText(rule, alert),
  ];
  return parts.filter((t): t is string => t !== undefined).join('; ');
}

/**
 * The reason behind `ruleBinds(rule, alert)`, e.g. "level 3 < 10" or
 * `level 10 >= 6 and groups "syslog,sshd," matches rules_group "sshd"`. When the rule binds, only the
 * criteria that made it bind are named; when not, every failed criterion is.
 */
export function describeBinding(rule: ArRule, alert: AlertView): string {
  if (alert.level <= 0) {
    return 'alert rule level 0 never triggers active responses';
  }
  if (!hasCriteria(rule)) {
    return 'no level, rules_group or rules_id: never fires';
  }
  if (rule.rulesId.includes(alert.ruleId)) {
    return idText(rule, alert) ?? '';
  }
  return ruleBinds(rule, alert) ? boundText(rule, alert) : unboundText(rule, alert);
}
