/**
 * `<global><white_list>` entries (reference §3.7). Wazuh puts IPv4 addresses and CIDRs (optionally
 * `!`-negated) in an IP list and treats everything else, IPv6 included, as an OSMatch substring
 * pattern. Riposte differs on purpose (docs/compatibility.md): IPv6 addresses and CIDRs are real
 * networks, an entry that looks like an address but does not parse is an error (1237), and negated
 * entries are refused because Wazuh's list semantics for them are surprising.
 */
import type { GroupMatcher, WhiteList } from '../core/config-model.js';
import { Code, type Diagnostics } from './diagnostics.js';
import type { XmlElement } from './xml-element.js';
import { compileOsMatch } from '../core/match/ossec-regex.js';
import { parseNetwork, type IpNetwork } from '../core/net/ip.js';

/** Wazuh's test for "this is meant as an IPv4 entry" (dotted quad with optional /len or /mask). */
const IPV4_LIKE = /^!?\d{1,3}(\.\d{1,3}){3}(\/(\d{1,3}|\d{1,3}(\.\d{1,3}){3}))?$/;
/** Hex digits, colons, dots, an optional zone and /len: meant as an IPv6 entry. */
const IPV6_LIKE = /^!?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(%[\w.-]+)?(\/\d+)?$/;

/** The white list being built. */
export interface WhiteListBuilder {
  readonly networks: IpNetwork[];
  readonly patterns: GroupMatcher[];
  readonly entries: string[];
}

export function emptyWhiteList(): WhiteListBuilder {
  return { networks: [], patterns: [], entries: [] };
}

/** Adds one `<white_list>` element's value; errors go to `diag`. */
export function addWhiteListEntry(wl: WhiteListBuilder, el: XmlElement, diag: Diagnostics): void {
  const v = el.text;
  if (v === '') {
    diag.error(el.line, 'Invalid NULL content for element: white_list.', Code.NULL_CONTENT);
    return;
  }
  if (v.startsWith('!')) {
    // Wazuh negates an address entry and a pattern (OSMatch) alike: the entry then white-lists
    // every source it does NOT match. Refused for both, rather than read literally (a pattern
    // `!^192.168.` compiled as text white-lists nothing, where Wazuh white-lists almost all).
    const why = 'Negated white-list entries are not supported.';
    diag.error(el.line, `Invalid ip address: '${v}'. ${why}`, Code.INVALID_IP);
    return;
  }
  if (IPV4_LIKE.test(v) || IPV6_LIKE.test(v)) {
    const net = parseNetwork(v);
    if (net === undefined) {
      diag.error(el.line, `Invalid ip address: '${v}'.`, Code.INVALID_IP);
      return;
    }
    wl.networks.push(net);
  } else {
    const m = compileOsMatch(v);
    if (!m.ok) {
      diag.error(el.line, `Invalid white-list pattern '${v}': ${m.reason}.`);
      return;
    }
    wl.patterns.push(m.matcher);
  }
  wl.entries.push(v);
}

/** The finished white list. */
export function toWhiteList(wl: WhiteListBuilder): WhiteList {
  return { networks: wl.networks, patterns: wl.patterns, entries: wl.entries };
}
