/**
 * Who a limit counts a connection or request against, pure. One host controls a whole IPv6 /64,
 * so per-source limits (refused audit rows, unauthenticated connections) key IPv6 peers by their
 * /64 and IPv4 peers by their address; `::ffff:1.2.3.4` is the IPv4 address `1.2.3.4`.
 */

/** `::ffff:1.2.3.4` and `1.2.3.4` are one source; letters lower-cased. */
export function sourceKey(peer: string): string {
  return peer.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** An IPv6 address's first four groups, expanded; undefined when `addr` is not IPv6. */
function prefix64(addr: string): string | undefined {
  if (!addr.includes(':')) {
    return undefined;
  }
  const [head = '', tail] = addr.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The source a peer is counted against: an IPv4 address (`::ffff:` folded) or an IPv6 /64. */
export function trafficSource(remote: string | undefined): string {
  if (remote === undefined || remote === '') {
    return 'unknown';
  }
  const key = sourceKey(remote);
  return prefix64(key) ?? key;
}
