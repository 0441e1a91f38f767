/**
 * Reads the elements of one manager `<active-response>` block (reference §3.2) and checks each
 * value on its own. Cross-element checks (command exists, location, agent id, timeout allowed) are in
 * compile-active-response.ts.
 */
import type { GroupMatcher } from '../core/config-model.js';
import { Accepted, Code, Msg, type Diagnostics } from './diagnostics.js';
import { didYouMean } from '../core/suggest.js';
import { parseTimeoutSeconds } from './parse-duration.js';
import type { XmlElement } from './xml-element.js';
import { compileOsRegex, neverMatches } from '../core/match/ossec-regex.js';
import { scanRulesId } from '../core/match/rules-id.js';

/** A value with the line it came from. */
export interface At<T> {
  readonly value: T;
  readonly line: number;
}

/** What one block says, each value already checked on its own. */
export interface ArBlockFields {
  disabled: boolean;
  command?: At<string>;
  location?: At<string>;
  agentId?: At<string>;
  level?: number;
  rulesGroup?: GroupMatcher;
  rulesId: readonly number[];
  timeout?: At<number>;
  hasRepeatedOffenders: boolean;
  /** Some element was invalid (already reported). */
  invalid: boolean;
}

/** Elements whose empty content is error 1234; `command`/`location` empty count as missing (1281). */
const NEEDS_CONTENT = new Set(['disabled', 'agent_id', 'level', 'rules_group', 'rules_id', 'timeout']);

type Reader = (el: XmlElement, f: ArBlockFields, diag: Diagnostics) => boolean;

/** Reports an invalid value with the forms accepted instead; returns false. */
const fail = (diag: Diagnostics, el: XmlElement, accepted: string): false => {
  diag.error(el.line, Msg.invalidValue(el.name, el.text) + accepted, Code.INVALID_VALUE);
  return false;
};

const readers: Readonly<Record<string, Reader>> = {
  disabled: (el, f, diag) => {
    // Wazuh: a `yes` disables the block, and a later `no` does not enable it again.
    f.disabled ||= el.text === 'yes';
    return el.text === 'yes' || el.text === 'no' || fail(diag, el, Accepted.yesNo);
  },
  command: (el, f) => {
    if (el.text !== '') {
      f.command = { value: el.text, line: el.line };
    }
    return true;
  },
  location: (el, f) => {
    if (el.text !== '') {
      f.location = { value: el.text, line: el.line };
    }
    return true;
  },
  agent_id: (el, f) => {
    f.agentId = { value: el.text, line: el.line };
    return true;
  },
  level: (el, f, diag) => {
    // Wazuh: digits only, then atoi (so `010` is 10), then 0..20.
    const n = /^\d+$/.test(el.text) ? Number(el.text) : -1;
    f.level = n;
    return (n >= 0 && n <= 20) || fail(diag, el, Accepted.level);
  },
  rules_group: (el, f, diag) => {
    // Wazuh loads a block whose pattern does not compile; OS_Regex then matches nothing.
    const r = compileOsRegex(el.text);
    if (!r.ok) {
      diag.warn(
        el.line,
        `Invalid OSSEC regex in 'rules_group': '${el.text}': ${r.reason}. Wazuh cannot compile it ` +
          'and matches no rule with it; Riposte does the same.',
      );
    }
    if (r.ok && (r.emptyAlternatives ?? 0) > 0) {
      diag.warn(
        el.line,
        `rules_group '${el.text}' has an empty alternative (a '|' at an end or doubled, or only an ` +
          "anchor): as in Wazuh's OS_Regex it matches nothing, so the other alternatives alone count.",
      );
    }
    f.rulesGroup = r.ok ? r.matcher : neverMatches(el.text);
    return true;
  },
  rules_id: (el, f, diag) => {
    const scan = scanRulesId(el.text);
    if (!scan.complete) {
      diag.warn(
        el.line,
        `rules_id '${el.text}' is read as [${scan.ids.join(',')}]: Wazuh's scanner ignores text after ` +
          'a number up to the next comma and stops at any other character.',
      );
    }
    f.rulesId = scan.ids;
    return true;
  },
  timeout: (el, f, diag) => {
    const s = parseTimeoutSeconds(el.text);
    if (s === undefined) {
      return fail(diag, el, Accepted.timeout);
    }
    f.timeout = { value: s, line: el.line };
    return true;
  },
  repeated_offenders: (_el, f) => {
    f.hasRepeatedOffenders = true;
    return true;
  },
  ca_store: () => true,
};

/** Reads and checks every element of `block`; errors go to `diag`. */
export function readArBlockFields(block: XmlElement, diag: Diagnostics): ArBlockFields {
  const f: ArBlockFields = { disabled: false, rulesId: [], hasRepeatedOffenders: false, invalid: false };
  for (const el of block.children) {
    const read = Object.hasOwn(readers, el.name) ? readers[el.name] : undefined;
    if (read === undefined) {
      const hint =
        el.name === 'executable' || el.name === 'timeout_allowed'
          ? ` <${el.name}> goes in the <command> block.`
          : didYouMean(el.name, Object.keys(readers));
      diag.error(el.line, Msg.invalidElement(el.name) + hint, Code.INVALID_ELEMENT);
      f.invalid = true;
    } else if (NEEDS_CONTENT.has(el.name) && el.text === '') {
      diag.error(el.line, Msg.nullContent(el.name), Code.NULL_CONTENT);
      f.invalid = true;
    } else if (!read(el, f, diag)) {
      f.invalid = true;
    }
  }
  return f;
}
