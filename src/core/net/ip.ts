/**
 * Strict IP address and network parsing, pure.
 *
 * Accepted: dotted-quad IPv4 with decimal octets 0-255 and no leading zeros; IPv6 in RFC 4291 text
 * form, including `::` compression and an embedded IPv4 tail (`::ffff:1.2.3.4`). Rejected on
 * purpose (glibc accepts them, reference §4.2): inet_aton shorthands (`10.1`, `127.1`, hex or octal
 * octets), zone ids (`fe80::1%eth0`), surrounding spaces, and anything else.
 */

export type IpVersion = 4 | 6;

export interface IpAddress {
  readonly version: IpVersion;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export interface IpNetwork {
  readonly address: IpAddress;
  readonly prefix: number;
  /** As written, for display. */
  readonly text: string;
}

const DOT = 46;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/**
 * Whether `text` from `from` to `to` (exclusive) is four decimal octets 0-255 separated by dots, no
 * leading zeros (`0` alone is one), nothing else; the octets go to `bytes` when given. Read by char
 * code, not split + regex, and without allocating: a re-apply after a reboot checks 100,000 addresses
 * read as one text (scripts/firewall/address-list.ts).
 */
export function isIpv4Span(text: string, from: number, to: number, bytes?: Uint8Array): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? text.charCodeAt(i) : DOT; // the end closes the last octet
    if (c === DOT) {
      if (digits === 0 || part > 3) {
        return false;
      }
      if (bytes !== undefined) {
        bytes[part] = value;
      }
      part++;
      value = 0;
      digits = 0;
    } else if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (digits > 0 && value === 0) {
        return false; // a leading zero
      }
      value = value * 10 + (c - DIGIT_0);
      digits++;
      if (value > 255) {
        return false;
      }
    } else {
      return false;
    }
  }
  return part === 4;
}

/** The four octets of a dotted-quad IPv4 address (see {@link isIpv4Span}); undefined when it is not one. */
function parseIpv4Bytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(4);
  return isIpv4Span(text, 0, text.length, bytes) ? bytes : undefined;
}

function parseHextets(groups: readonly string[]): number[] | undefined {
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
      return undefined;
    }
    out.push(parseInt(g, 16));
  }
  return out;
}

/** Splits an IPv6 side ("a:b:1.2.3.4") into 16-bit words, expanding an IPv4 tail into two words. */
function sideWords(side: string, allowV4Tail: boolean): number[] | undefined {
  if (side === '') {
    return [];
  }
  const groups = side.split(':');
  const last = groups[groups.length - 1] ?? '';
  if (allowV4Tail && last.includes('.')) {
    const v4 = parseIpv4Bytes(last);
    const head = parseHextets(groups.slice(0, -1));
    if (!v4 || !head) {
      return undefined;
    }
    return [...head, ((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0)];
  }
  return parseHextets(groups);
}

function wordsToBytes(words: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) {
    return undefined;
  }
  const halves = text.split('::');
  if (halves.length > 2) {
    return undefined;
  }
  if (halves.length === 1) {
    const words = sideWords(text, true);
    return words?.length === 8 ? wordsToBytes(words) : undefined;
  }
  const left = sideWords(halves[0] ?? '', false);
  const right = sideWords(halves[1] ?? '', true);
  if (!left || !right || left.length + right.length > 7) {
    return undefined;
  }
  const zeros: number[] = new Array<number>(8 - left.length - right.length).fill(0);
  return wordsToBytes([...left, ...zeros, ...right]);
}

/** Parses an IP address strictly; undefined when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4Bytes(text);
  if (v4) {
    return { version: 4, bytes: v4 };
  }
  const v6 = text.includes(':') ? parseIpv6Bytes(text) : undefined;
  return v6 ? { version: 6, bytes: v6 } : undefined;
}

/** For `::ffff:a.b.c.d` returns the IPv4 address; otherwise the address itself. */
export function unmapIpv4(addr: IpAddress): IpAddress {
  const b = addr.bytes;
  const mapped =
    addr.version === 6 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? { version: 4, bytes: b.slice(12) } : addr;
}

/** `a.b.c.d` of 4 bytes (a template, not Array.from + join: 100,000 at once after a reboot). */
function dottedQuad(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run compressed). */
export function formatIp(addr: IpAddress): string {
  if (addr.version === 4) {
    return dottedQuad(addr.bytes);
  }
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) {
    words.push(((addr.bytes[i] ?? 0) << 8) | (addr.bytes[i + 1] ?? 0));
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) {
      j++;
    }
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) {
    return hex.join(':');
  }
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Converts a dotted IPv4 netmask to a prefix length; undefined when not contiguous. */
function maskToPrefix(mask: Uint8Array): number | undefined {
  let prefix = 0;
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && seenZero) {
        return undefined;
      }
      if (set) {
        prefix++;
      } else {
        seenZero = true;
      }
    }
  }
  return prefix;
}

function parsePrefix(addr: IpAddress, text: string | undefined): number | undefined {
  const max = addr.version === 4 ? 32 : 128;
  if (text === undefined) {
    return max;
  }
  if (/^\d{1,3}$/.test(text)) {
    const n = Number(text);
    return n <= max ? n : undefined;
  }
  const mask = addr.version === 4 ? parseIpv4Bytes(text) : undefined;
  return mask ? maskToPrefix(mask) : undefined;
}

/** Parses `IP`, `IP/len` or (IPv4) `IP/dotted.mask`; undefined when invalid. */
export function parseNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const address = parseIp(addrText);
  if (!address) {
    return undefined;
  }
  const prefix = parsePrefix(address, slash < 0 ? undefined : text.slice(slash + 1));
  return prefix === undefined ? undefined : { address, prefix, text };
}

/** True when `addr` lies inside `net` (an IPv4-mapped IPv6 address matches IPv4 networks). */
export function networkContains(net: IpNetwork, addr: IpAddress): boolean {
  const a = net.address.version === 4 ? unmapIpv4(addr) : addr;
  if (a.version !== net.address.version) {
    return false;
  }
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a.bytes[i] ?? 0) & mask) !== ((net.address.bytes[i] ?? 0) & mask)) {
      return false;
    }
  }
  return true;
}
