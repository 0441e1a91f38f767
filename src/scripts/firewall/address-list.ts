/**
 * Addresses handed over as ONE text, `a,b,c` (a re-apply after a reboot reads 100,000 stored keys
 * so: agent/execd/plain-reapply.ts), checked without building an object per address.
 *
 * Every element is validated as firewall-drop's input would be (core/net/ip.ts, strict): a
 * canonical dotted quad is used as written (it IS its canonical text); an element with a `:` must
 * be an IPv6 address and is used in its canonical text; anything else is invalid and never reaches
 * a command. A text that is not `count` elements (an element holding a `,`) is refused as a whole.
 */
import { formatIp, isIpv4Span, parseIp } from '../../core/net/ip.js';

const COMMA = 44;
const COLON = 58;

/** Element families: an IPv4 or IPv6 address, or not an address. */
export const INVALID = 0;
export const IPV4 = 4;
export const IPV6 = 6;

export interface AddressList {
  /** The text as given. */
  readonly text: string;
  readonly count: number;
  /** `ends[i]`: the offset just past element i (its `,` or the end); element i + 1 starts after it. */
  readonly ends: Int32Array;
  /** `family[i]`: IPV4, IPV6 or INVALID. */
  readonly family: Uint8Array;
  /** The canonical text of each IPv6 element, by index. */
  readonly v6: ReadonlyMap<number, string>;
  /** True when every element is IPv4: any range of elements is then one slice of `text`. */
  readonly allV4: boolean;
}

/** Where element `i` starts. */
export function startOf(list: AddressList, i: number): number {
  return i === 0 ? 0 : (list.ends[i - 1] as number) + 1;
}

/** Element `i` as written. */
export function elementText(list: AddressList, i: number): string {
  return list.text.slice(startOf(list, i), list.ends[i]);
}

/** The element's text to act on: as written for IPv4, canonical for IPv6; undefined when invalid. */
export function addressText(list: AddressList, i: number): string | undefined {
  const f = list.family[i];
  return f === IPV4 ? elementText(list, i) : f === IPV6 ? list.v6.get(i) : undefined;
}

/** The family of `text` from `from` to `to` (`colon`: it holds a `:`), and its canonical IPv6 text. */
function familyOf(text: string, from: number, to: number, colon: boolean): [number, string?] {
  if (!colon) {
    return [isIpv4Span(text, from, to) ? IPV4 : INVALID];
  }
  const ip = parseIp(text.slice(from, to));
  return ip?.version === 6 ? [IPV6, formatIp(ip)] : [INVALID];
}

/**
 * Checks `text` as `count` comma-separated addresses; undefined when it does not hold exactly
 * `count` elements (0 elements: the empty text).
 */
export function readAddressList(text: string, count: number): AddressList | undefined {
  const ends = new Int32Array(count);
  const family = new Uint8Array(count);
  const v6 = new Map<number, string>();
  if (count === 0) {
    return text === '' ? { text, count, ends, family, v6, allV4: true } : undefined;
  }
  let i = 0;
  let start = 0;
  let colon = false;
  let allV4 = true;
  for (let at = 0; at <= text.length; at++) {
    const c = at < text.length ? text.charCodeAt(at) : COMMA; // the end closes the last element
    colon ||= c === COLON;
    if (c !== COMMA) {
      continue;
    }
    if (i === count) {
      return undefined; // more elements than rows
    }
    ends[i] = at;
    const [f, canonical] = familyOf(text, start, at, colon);
    family[i] = f;
    if (canonical !== undefined) {
      v6.set(i, canonical);
    }
    allV4 &&= f === IPV4;
    i++;
    start = at + 1;
    colon = false;
  }
  return i === count ? { text, count, ends, family, v6, allV4 } : undefined;
}
