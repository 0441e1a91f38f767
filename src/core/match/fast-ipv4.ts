/**
 * A fast path for the per-alert white-list check: strict dotted-quad IPv4 parsed to a 32-bit
 * number without allocating, and IPv4 networks as (base, mask) numbers. Accepts exactly what
 * `parseIp` in core/net/ip.ts accepts for IPv4 (decimal octets 0-255, no leading zeros); a property
 * test checks the two agree.
 *
 * Pure: no I/O.
 */
import type { IpNetwork } from '../net/ip.js';

/** The decimal octet at `i` as `value * 4 + length` (1-3 digits, 0-255, no leading zero), or -1. */
function octetAt(text: string, i: number): number {
  let value = 0;
  let len = 0;
  while (len < 3) {
    const c = text.charCodeAt(i + len); // NaN past the end
    if (!(c >= 0x30 && c <= 0x39)) {
      break;
    }
    value = value * 10 + (c - 0x30);
    len++;
  }
  if (len === 0 || value > 255 || (len > 1 && text.charCodeAt(i) === 0x30)) {
    return -1;
  }
  return value * 4 + len;
}

/** The address as an unsigned 32-bit number, or -1 when `text` is not a strict dotted quad. */
export function parseIpv4Number(text: string): number {
  if (text.length < 7 || text.length > 15) {
    return -1;
  }
  let value = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0 && text.charCodeAt(i++) !== 0x2e) {
      return -1;
    }
    const o = octetAt(text, i);
    if (o < 0) {
      return -1;
    }
    value = value * 256 + (o >> 2);
    i += o & 3;
  }
  return i === text.length ? value : -1;
}

/** An IPv4 network as numbers: `(addr & mask) === base`. */
export interface Ipv4Range {
  readonly base: number;
  readonly mask: number;
  readonly net: IpNetwork;
}

/** The unsigned 32-bit number of an IPv4 address's 4 bytes. */
export function ipv4Number(b: Uint8Array): number {
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}

/** The IPv4 networks of a list, as ranges; IPv6 networks are left out. */
export function ipv4Ranges(networks: readonly IpNetwork[]): Ipv4Range[] {
  return networks
    .filter((net) => net.address.version === 4)
    .map((net) => {
      const addr = ipv4Number(net.address.bytes);
      const mask = net.prefix === 0 ? 0 : (0xffffffff << (32 - net.prefix)) >>> 0;
      return { base: (addr & mask) >>> 0, mask, net };
    });
}

/** The first range containing `addr` (from {@link parseIpv4Number}), or undefined. */
export function findIpv4Range(ranges: readonly Ipv4Range[], addr: number): Ipv4Range | undefined {
  for (const r of ranges) {
    if ((addr & r.mask) >>> 0 === r.base) {
      return r;
    }
  }
  return undefined;
}
