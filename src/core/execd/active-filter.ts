/**
 * The filter of `GET /active-responses` (manager and agent APIs alike): by agent, by command (the
 * AR name "firewall-drop600" or the program's basename "firewall-drop"), by srcip: the same
 * address in any text form (IPv6 case and compression, IPv4-mapped IPv6 as IPv4). Pure.
 */
import type { ActiveResponse } from '../../protocol/execution-records.js';
import type { ActiveFilter } from '../../protocol/fleet-records.js';
import { formatIp, parseIp, unmapIpv4 } from '../net/ip.js';
import { stripMappedPrefix } from '../match/white-list-check.js';
import { programName } from '../program-name.js';

/** The address's canonical text (IPv4-mapped as IPv4); undefined when `ip` is not an address. */
function canonical(ip: string): string | undefined {
  const parsed = parseIp(ip);
  return parsed === undefined ? undefined : formatIp(unmapIpv4(parsed));
}

/**
 * Whether two texts name the same address. Equal texts (after `::ffff:`) need no parse, and IPv4
 * has one text form (no leading zeros are accepted), so only IPv6 texts are parsed: a filter over
 * 100,000 responses parses none of the IPv4 ones.
 */
export function sameAddress(a: string, b: string): boolean {
  const x = stripMappedPrefix(a);
  const y = stripMappedPrefix(b);
  if (x === y) {
    return true;
  }
  if (!a.includes(':') && !b.includes(':')) {
    return false;
  }
  const ca = canonical(a);
  return ca !== undefined && ca === canonical(b);
}

export function matchesActive(a: ActiveResponse, f: ActiveFilter): boolean {
  const basename = programName(a.program);
  return (
    (f.agentId === undefined || a.agentId === f.agentId) &&
    (f.command === undefined || a.arName === f.command || basename === f.command) &&
    (f.ip === undefined || (a.srcip !== undefined && sameAddress(a.srcip, f.ip)))
  );
}
