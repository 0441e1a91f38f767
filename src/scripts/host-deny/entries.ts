/**
 * The `hosts.deny` lines host-deny owns, and the text edits that add or remove them.
 *
 * An entry is `ALL:<ipv4>` or `ALL:[<ipv6>]` (tcp_wrappers wants IPv6 addresses in brackets). Matching is
 * exact: a line is ours for an address only when it is an `ALL:` line whose single address parses to the
 * same bytes, so `10.0.0.1` never matches `10.0.0.10` (Wazuh's substring match does, reference §8 item 10)
 * and `2001:DB8::1` matches `ALL:[2001:db8::1]`. Every other line, comments included, is kept verbatim.
 *
 * Pure: text in, text out.
 */
import { formatIp, parseIp, type IpAddress } from '../../core/net/ip.js';

/** The line host-deny writes for `addr`: canonical address text, IPv6 in brackets. */
export function denyEntry(addr: IpAddress): string {
  const text = formatIp(addr);
  return addr.version === 6 ? `ALL:[${text}]` : `ALL:${text}`;
}

/** True when `line` is an `ALL:` entry for exactly `addr` (spaces around `:` tolerated). */
export function isEntryFor(line: string, addr: IpAddress): boolean {
  const m = /^\s*ALL\s*:\s*(\S+)\s*$/.exec(line);
  const target = m?.[1];
  if (target === undefined) {
    return false;
  }
  const bare = target.startsWith('[') && target.endsWith(']') ? target.slice(1, -1) : target;
  const parsed = parseIp(bare);
  return parsed !== undefined && sameAddress(parsed, addr);
}

function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.version === b.version && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

function linesOf(text: string): string[] {
  if (text === '') {
    return [];
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/** True when the file text already holds an entry for `addr`. */
export function hasEntry(text: string, addr: IpAddress): boolean {
  return linesOf(text).some((line) => isEntryFor(line, addr));
}

/** The text with one entry for `addr` appended, or the same text when one is already present. */
export function withEntry(text: string, addr: IpAddress): string {
  if (hasEntry(text, addr)) {
    return text;
  }
  return [...linesOf(text), denyEntry(addr)].join('\n') + '\n';
}

/** The text without any entry for `addr`; other lines are kept byte for byte. */
export function withoutEntry(text: string, addr: IpAddress): string {
  if (!hasEntry(text, addr)) {
    return text;
  }
  const kept = linesOf(text).filter((line) => !isEntryFor(line, addr));
  return kept.length === 0 ? '' : kept.join('\n') + '\n';
}
