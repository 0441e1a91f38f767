/**
 * `<global><white_list>` check (reference §1.8 step 1, §3.7): an alert whose srcip is white-listed
 * triggers no active response anywhere, whatever the location.
 *
 * Like Wazuh, a leading `::ffff:` is stripped before checking; a mapped address in another
 * spelling is checked as its IPv4 address too. Unlike Wazuh, IPv6 entries are real networks (Wazuh
 * matches them as substrings; docs/compatibility.md). Networks are tested on the parsed address;
 * hostname patterns on the (stripped) srcip string. The message keeps the original srcip.
 *
 * Pure: no I/O.
 */
import type { WhiteList } from '../config-model.js';
import { networkContains, parseIp, unmapIpv4 } from '../net/ip.js';
import { findIpv4Range, ipv4Number, ipv4Ranges, parseIpv4Number, type Ipv4Range } from './fast-ipv4.js';

/** Strips one leading `::ffff:` (case-insensitive), as analysisd does before the white-list lookup. */
export function stripMappedPrefix(srcip: string): string {
  return srcip.length > 7 && srcip.slice(0, 7).toLowerCase() === '::ffff:' ? srcip.slice(7) : srcip;
}

/** The white list split for speed, computed once per WhiteList object. */
interface PreparedWhiteList {
  readonly v4: readonly Ipv4Range[];
  readonly hasV6: boolean;
}

const prepared = new WeakMap<WhiteList, PreparedWhiteList>();

function prepare(whiteList: WhiteList): PreparedWhiteList {
  let p = prepared.get(whiteList);
  if (p === undefined) {
    const v4 = ipv4Ranges(whiteList.networks);
    p = { v4, hasV6: v4.length < whiteList.networks.length };
    prepared.set(whiteList, p);
  }
  return p;
}

/**
 * Network check: IPv4 text on the numeric fast path, anything else through the strict parser. A
 * mapped IPv4 address in any spelling (`::ffff:a00:5`, `0:0:0:0:0:ffff:10.0.0.5`) is checked as
 * its IPv4 address: the scripts act on that address (scripts/contract/input.ts), so a spelling
 * the prefix strip misses must not get it past the white list. As written, it is also checked
 * against the IPv6 networks (an entry such as `::ffff:0:0/96`).
 */
function networkMatch(whiteList: WhiteList, srcip: string, stripped: string): string | undefined {
  const p = prepare(whiteList);
  const v4 = parseIpv4Number(stripped);
  if (v4 >= 0) {
    return findIpv4Range(p.v4, v4)?.net.text;
  }
  // As written first: `::ffff:a00:5` stripped is no address; stripped as Wazuh checks it next.
  const addr = parseIp(srcip) ?? parseIp(stripped);
  if (addr === undefined) {
    return undefined;
  }
  const unmapped = unmapIpv4(addr);
  const inV4 = unmapped === addr ? undefined : findIpv4Range(p.v4, ipv4Number(unmapped.bytes));
  return inV4?.net.text ?? whiteList.networks.find((n) => networkContains(n, addr))?.text;
}

/**
 * The white-list entry that covers `srcip` (network text or pattern source), or undefined.
 * An empty white list costs nothing.
 */
export function whiteListMatch(whiteList: WhiteList, srcip: string): string | undefined {
  if (whiteList.networks.length === 0 && whiteList.patterns.length === 0) {
    return undefined;
  }
  const text = stripMappedPrefix(srcip);
  const net = whiteList.networks.length > 0 ? networkMatch(whiteList, srcip, text) : undefined;
  return net ?? whiteList.patterns.find((p) => p.test(text))?.source;
}
