/**
 * Who a limit counts a connection or request against, pure. One host controls a whole IPv6 /64,
 * so per-source limits (refused audit rows, unauthenticated connections) key IPv6 peers by their
 * /64 and IPv4 peers by their address; `::ffff:1.2.3.4` is the IPv4 address `1.2.3.4`.
 */
import { parseIp } from './ip.js';

/** `::ffff:1.2.3.4` and `1.2.3.4` are one source; letters lower-cased. */
export function sourceKey(peer: string): string {
  return peer.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/**
 * An IPv6 address's /64: its first four groups, expanded (core/net/ip.ts parses it; a zone id,
 * `%eth0`, is left out); undefined when `addr` is not IPv6.
 */
function prefix64(addr: string): string | undefined {
  const ip = parseIp(addr.replace(/%.*$/, ''));
  if (ip?.version !== 6) {
    return undefined;
  }
  const b = ip.bytes;
  const groups = [0, 2, 4, 6].map((i) => (((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16));
  return `${groups.join(':')}::/64`;
}

/** The source a peer is counted against: an IPv4 address (`::ffff:` folded) or an IPv6 /64. */
export function trafficSource(remote: string | undefined): string {
  if (remote === undefined || remote === '') {
    return 'unknown';
  }
  const key = sourceKey(remote);
  return prefix64(key) ?? key;
}
