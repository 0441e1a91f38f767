/**
 * The Slack message Wazuh's wazuh-slack builds from an alert (reference §4.1), field for field:
 *
 *   {"attachments":[{"color","pretext":"WAZUH Alert","title","text","fields":[...],"ts"}]}
 *
 * color: `good` for level <= 4 (or no numeric level), `warning` for 5-7, `danger` above.
 * fields, in order: Agent "(<id>) - <name>" when `agent` is an object; Agentless Host when `agentless`
 * is an object; Location (always); Rule ID "<id> (level <n>)" when `rule` is an object. Missing strings
 * become "N/A" (wazuh-slack's placeholder), a missing full_log becomes "". Pure.
 */
import { getPath, isJsonObject, type JsonObject, type JsonValue } from '../../protocol/json.js';

function text(value: JsonValue | undefined, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** Slack attachment color for a rule level. */
export function slackColor(level: number | undefined): 'good' | 'warning' | 'danger' {
  const l = level ?? -1;
  if (l <= 4) {
    return 'good';
  }
  return l <= 7 ? 'warning' : 'danger';
}

function levelOf(alert: JsonObject): number | undefined {
  const level = getPath(alert, ['rule', 'level']);
  return typeof level === 'number' ? Math.trunc(level) : undefined;
}

function fieldsOf(alert: JsonObject, level: number | undefined): JsonObject[] {
  const fields: JsonObject[] = [];
  const agent = alert['agent'];
  if (isJsonObject(agent)) {
    const value = `(${text(agent['id'], 'N/A')}) - ${text(agent['name'], 'N/A')}`;
    fields.push({ title: 'Agent', value });
  }
  const agentless = alert['agentless'];
  if (isJsonObject(agentless)) {
    fields.push({ title: 'Agentless Host', value: text(agentless['host'], 'N/A') });
  }
  fields.push({ title: 'Location', value: text(alert['location'], 'N/A') });
  const rule = alert['rule'];
  if (isJsonObject(rule)) {
    const value = `${text(rule['id'], 'N/A')} (level ${level === undefined ? 'N/A' : String(level)})`;
    fields.push({ title: 'Rule ID', value });
  }
  return fields;
}

/** The wazuh-slack payload for `alert`. */
export function slackPayload(alert: JsonObject): JsonObject {
  const level = levelOf(alert);
  const attachment: JsonObject = {
    color: slackColor(level),
    pretext: 'WAZUH Alert',
    title: text(getPath(alert, ['rule', 'description']), 'N/A'),
    text: text(alert['full_log'], ''),
    fields: fieldsOf(alert, level),
    // wazuh-slack: the alert id, or "" without one (its other fields say N/A).
    ts: text(alert['id'], ''),
  };
  return { attachments: [attachment] };
}
