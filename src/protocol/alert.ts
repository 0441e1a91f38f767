/**
 * A Wazuh alert: one line of `alerts.json`. The whole object is kept (`raw`), unknown fields
 * included, because the AR message carries the complete alert to the scripts. `AlertView` is a
 * typed read-only projection of the fields Riposte decides on.
 *
 * Pure: no I/O.
 */
import { INPUT_BOUNDS, parseBoundedJson } from './json-bounds.js';
import { getString, isJsonObject, type JsonObject } from './json.js';

export interface AlertView {
  /** The complete alert as received, unknown fields kept. */
  readonly raw: JsonObject;
  /** `id`, e.g. "1700000000.12345"; undefined when absent. */
  readonly id: string | undefined;
  /** `rule.id` as a number (Wazuh serialises it as a string). */
  readonly ruleId: number;
  /** `rule.level`, 0 when absent. */
  readonly level: number;
  /** `rule.groups` as given. */
  readonly groups: readonly string[];
  /**
   * The rule's raw group string as analysisd matches `rules_group` against it: every group
   * followed by a comma ("syslog,sshd,authentication_failed,"), then the compliance groups that
   * alerts.json moves out of `groups` (`pci_dss: ["11.4"]` -> "pci_dss_11.4,"; see
   * {@link COMPLIANCE_GROUPS}). Reconstructed: the original interleaving is not in the alert.
   */
  readonly groupString: string;
  /**
   * `agent.id`; "000" (the manager) when the alert has no `agent` object or it has no `id`, as
   * analysisd writes manager alerts. An `agent` or `agent.id` of another type is refused (an
   * ambiguous origin must not run a `local` response on the manager).
   */
  readonly agentId: string;
  /** `data.srcip` when a string. */
  readonly srcip: string | undefined;
  /** `data.dstuser` when a string. */
  readonly dstuser: string | undefined;
}

export type AlertParseResult =
  { readonly ok: true; readonly alert: AlertView } | { readonly ok: false; readonly error: string };

/** A Wazuh rule id (a string of digits in alerts, sometimes a number); undefined when neither. */
export function parseRuleId(id: unknown): number | undefined {
  if (typeof id === 'number' && Number.isInteger(id)) {
    return id;
  }
  if (typeof id === 'string' && /^\d{1,9}$/.test(id)) {
    return Number(id);
  }
  return undefined;
}

function levelOf(rule: JsonObject): number {
  const level = rule['level'];
  if (typeof level === 'number') {
    return level;
  }
  return typeof level === 'string' && /^\d+$/.test(level) ? Number(level) : 0;
}

function stringsAt(rule: JsonObject, key: string): string[] {
  const v = rule[key];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}

/**
 * Rule fields that Wazuh's alert writer fills from `<group>` entries with these prefixes (the prefix
 * removed), in its output order. Their groups are appended to `groupString` with the prefix restored.
 */
export const COMPLIANCE_GROUPS = ['pci_dss', 'cis', 'gpg13', 'gdpr', 'hipaa', 'nist_800_53', 'tsc'] as const;

/** `rule.groups` then the compliance groups, each followed by a comma. */
function groupStringOf(rule: JsonObject, groups: readonly string[]): string {
  // One native join: a flat string, where appending group by group builds a rope that the binding
  // cache's comparison then has to flatten.
  let out = groups.length === 0 ? '' : `${groups.join(',')},`;
  for (const family of COMPLIANCE_GROUPS) {
    const v = rule[family];
    if (Array.isArray(v)) {
      for (const item of v) {
        out += typeof item === 'string' ? `${family}_${item},` : '';
      }
    }
  }
  return out;
}

/**
 * `agent.id`: "000" when there is no `agent` object or it has no `id` (the manager); undefined
 * when `agent` is not an object or `agent.id` is not a string (number, null...): refused.
 */
function agentIdOf(raw: JsonObject): string | undefined {
  const agent = raw['agent'];
  if (agent === undefined) {
    return '000';
  }
  if (!isJsonObject(agent)) {
    return undefined;
  }
  const id = agent['id'];
  return id === undefined ? '000' : typeof id === 'string' ? id : undefined;
}

/** Builds the typed view of an already-parsed alert object. */
export function viewAlert(raw: unknown): AlertParseResult {
  if (!isJsonObject(raw)) {
    return { ok: false, error: 'alert is not a JSON object' };
  }
  const rule = raw['rule'];
  if (!isJsonObject(rule)) {
    return { ok: false, error: "alert has no 'rule' object" };
  }
  const ruleId = parseRuleId(rule['id']);
  if (ruleId === undefined) {
    return { ok: false, error: "alert has no valid 'rule.id'" };
  }
  const agentId = agentIdOf(raw);
  if (agentId === undefined) {
    return {
      ok: false,
      error: "alert has an 'agent' that is not an object or an 'agent.id' that is not a string",
    };
  }
  const groups = stringsAt(rule, 'groups');
  const idValue = raw['id'];
  const data = raw['data'];
  const alert: AlertView = {
    raw,
    id: typeof idValue === 'string' ? idValue : undefined,
    ruleId,
    level: levelOf(rule),
    groups,
    groupString: groupStringOf(rule, groups),
    agentId,
    srcip: getString(data, ['srcip']),
    dstuser: getString(data, ['dstuser']),
  };
  return { ok: true, alert };
}

/**
 * Parses one `alerts.json` line, refusing a line over 1 MiB or nested deeper than
 * ALERT_MAX_DEPTH before parsing (json-bounds.ts): such a line is an ordinary invalid alert,
 * never an exception further down.
 */
export function parseAlertLine(line: string): AlertParseResult {
  const parsed = parseBoundedJson(line, INPUT_BOUNDS.alert);
  if (!parsed.ok) {
    return { ok: false, error: parsed.violation ? `alert is ${parsed.error}` : parsed.error };
  }
  return viewAlert(parsed.value);
}
