/**
 * The filter of `GET /active-responses` (manager and agent APIs alike): by agent, by command (the
 * AR name "firewall-drop600" or the program's basename "firewall-drop"), by srcip (IPv4-mapped IPv6
 * compared as IPv4). Pure.
 */
import type { ActiveResponse } from '../../protocol/execution-records.js';
import type { ActiveFilter } from '../../protocol/fleet-records.js';

function unmapped(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip;
}

export function matchesActive(a: ActiveResponse, f: ActiveFilter): boolean {
  const basename = a.program.slice(a.program.lastIndexOf('/') + 1);
  return (
    (f.agentId === undefined || a.agentId === f.agentId) &&
    (f.command === undefined || a.arName === f.command || basename === f.command) &&
    (f.ip === undefined || (a.srcip !== undefined && unmapped(a.srcip) === unmapped(f.ip)))
  );
}
