/**
 * `<global><white_list>` check (reference §1.8 step 1, §3.7): an alert whose srcip is white-listed
 * triggers no active response anywhere, whatever the location.
 *
 * Like Wazuh, a leading `::ffff:` is stripped before checking. Unlike Wazuh, IPv6 entries are real
 * networks (Wazuh matches them as substrings; docs/compatibility.md). Networks are tested on the parsed
 * address; hostname patterns on the (stripped) srcip string. The message keeps the original srcip.
 *
 * Pure: no I/O.
 */
import type { WhiteList } from '../../config/config.js';
import { networkContains, parseIp } from '../net/ip.js';

/** Strips one leading `::ffff:` (case-insensitive), as analysisd does before the white-list lookup. */
export function stripMappedPrefix(srcip: string): string {
  return srcip.length > 7 && srcip.slice(0, 7).toLowerCase() === '::ffff:' ? srcip.slice(7) : srcip;
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
  if (whiteList.networks.length > 0) {
    const addr = parseIp(text);
    const net = addr && whiteList.networks.find((n) => networkContains(n, addr));
    if (net) {
      return net.text;
    }
  }
  return whiteList.patterns.find((p) => p.test(text))?.source;
}
