/**
 * Output formats of `riposte explain`: one NDJSON object per alert (`--json`), or a header line and
 * one line per AR rule for people. Pure string building; the command writes the result.
 */
import type { RuleDecision } from '../../core/match/decision.js';
import { quoteValue } from '../../core/match/quote-value.js';
import type { AlertView } from '../../protocol/alert.js';
import type { JsonObject } from '../../protocol/json.js';

/** The `--json` record for one alert; key order is part of the contract. */
export function explainJson(alert: AlertView, decisions: readonly RuleDecision[]): JsonObject {
  const rule = alert.raw['rule'];
  const ruleId = typeof rule === 'object' && rule !== null && !Array.isArray(rule) ? rule['id'] : undefined;
  return {
    alert_id: alert.id ?? null,
    rule_id: typeof ruleId === 'string' ? ruleId : String(alert.ruleId),
    responses: decisions.map((d) => ({
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

/** `line 3: alert 1763626517.402876 rule 5712 level 10 agent 001 srcip "203.0.113.45"` */
function header(alert: AlertView, lineNo: number): string {
  const parts = [
    `line ${lineNo}: alert ${quoteValue(alert.id ?? '?')}`,
    `rule ${alert.ruleId}`,
    `level ${alert.level}`,
  ];
  parts.push(`agent ${quoteValue(alert.agentId)}`);
  if (alert.srcip !== undefined) {
    parts.push(`srcip ${quoteValue(alert.srcip)}`);
  }
  if (alert.dstuser !== undefined) {
    parts.push(`dstuser ${quoteValue(alert.dstuser)}`);
  }
  return parts.join(' ');
}

/** `  #0 firewall-drop600 local: fires -> 001` / `  #2 firewall-drop300 all: no: level 3 < 10` */
function ruleLine(d: RuleDecision): string {
  const head = `  #${d.ruleIndex} ${d.rule.arName} ${d.rule.locationRaw}:`;
  return d.fires ? `${head} fires -> ${d.targets.join(',')} (${d.reason})` : `${head} no: ${d.reason}`;
}

/** The human report for one alert, newline-terminated. */
export function explainText(alert: AlertView, decisions: readonly RuleDecision[], lineNo: number): string {
  return [header(alert, lineNo), ...decisions.map(ruleLine)].join('\n') + '\n';
}
