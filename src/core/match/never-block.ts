/**
 * Addresses no response may ever target, whatever the configuration says (issue 13.6): loopback
 * (127.0.0.0/8, ::1), the unspecified addresses (0.0.0.0, ::), the limited broadcast
 * 255.255.255.255, and the protected addresses the caller adds (the host's own addresses, the
 * agent's link peer = its manager). IPv4-mapped IPv6 forms (`::ffff:127.0.0.1`,
 * `::ffff:7f00:1`) are the IPv4 address they map.
 *
 * A response message names its target where the stock scripts read it (contract/input.ts):
 * `data.win.eventdata.ipAddress`, `data.win.eventdata.destinationIp`, `data.srcip`. Every one of
 * them that is an IP address is checked, so no lookup order can slip a protected address through.
 *
 * Pure: no I/O (the caller gathers the host's addresses).
 */
import { getPath, type JsonValue } from '../../protocol/json.js';
import { formatIp, parseIp, unmapIpv4, type IpAddress } from '../net/ip.js';

/** The alert paths (under `data`) where a target address can be read. */
const TARGET_PATHS: readonly (readonly string[])[] = [
  ['win', 'eventdata', 'ipAddress'],
  ['win', 'eventdata', 'destinationIp'],
  ['srcip'],
];

/** Why the fixed classes are protected, or undefined. */
function fixedReason(ip: IpAddress): string | undefined {
  const b = ip.bytes;
  if (ip.version === 4) {
    if (b[0] === 127) {
      return 'a loopback address';
    }
    if (b.every((x) => x === 0)) {
      return 'the unspecified address';
    }
    return b.every((x) => x === 255) ? 'the broadcast address' : undefined;
  }
  if (b.slice(0, 15).every((x) => x === 0)) {
    return b[15] === 1 ? 'a loopback address' : b[15] === 0 ? 'the unspecified address' : undefined;
  }
  return undefined;
}

/** Canonical texts of the caller's protected addresses, with a reason each. */
export type ProtectedAddresses = ReadonlyMap<string, string>;

/**
 * Builds the protected set: each address text (mapped forms unmapped) with its reason, e.g.
 * `protectedAddresses([['10.0.0.5', 'an address of this host'], ['192.0.2.1', "the agent's manager"]])`.
 * Texts that are not IP addresses are ignored.
 */
export function protectedAddresses(entries: Iterable<readonly [string, string]>): ProtectedAddresses {
  const out = new Map<string, string>();
  for (const [text, reason] of entries) {
    const ip = parseIp(text.replace(/%.*$/, ''));
    if (ip) {
      out.set(formatIp(unmapIpv4(ip)), reason);
    }
  }
  return out;
}

/** Why `text` must never be blocked, or undefined (also for text that is not an IP address). */
export function neverBlockReason(text: string, extra: ProtectedAddresses): string | undefined {
  const parsed = parseIp(text);
  if (!parsed) {
    return undefined;
  }
  const ip = unmapIpv4(parsed);
  return fixedReason(ip) ?? extra.get(formatIp(ip));
}

/** The candidate target addresses of an alert (strings at the paths scripts read). */
export function alertTargets(alert: JsonValue | undefined): string[] {
  const data = getPath(alert, ['data']);
  const out: string[] = [];
  for (const path of TARGET_PATHS) {
    const v = getPath(data, path);
    if (typeof v === 'string') {
      out.push(v);
    }
  }
  return out;
}

/**
 * The refusal for an alert whose target is protected: "127.0.0.1 is a loopback address", or
 * undefined when every candidate target may be acted on.
 */
export function protectedTarget(alert: JsonValue | undefined, extra: ProtectedAddresses): string | undefined {
  for (const target of alertTargets(alert)) {
    const reason = neverBlockReason(target, extra);
    if (reason !== undefined) {
      return `${target} is ${reason}, which is never blocked`;
    }
  }
  return undefined;
}
