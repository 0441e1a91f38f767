/**
 * Input extraction and validation shared by the stock scripts (Wazuh 4.14.7 `get_srcip_from_json`,
 * `get_username_from_json`, `is_valid_username`; reference §5).
 *
 * Pure. Decisions:
 * - IPs are parsed strictly (src/core/net/ip.ts): dotted-quad IPv4 and RFC 4291 IPv6 only. inet_aton
 *   shorthands (`10.1`), zone ids, hostnames, spaces and shell metacharacters are rejected, where glibc
 *   would accept some of them (reference §4.2).
 * - An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is accepted and acted on as the IPv4 address
 *   a.b.c.d: that is the address the packets carry on the wire when the kernel sees IPv4 traffic, so
 *   blocking the IPv6 form would block nothing.
 * - The key (sent in check_keys, passed to add/delete) is the canonical text of the address acted on
 *   (dotted quad, or RFC 5952 IPv6). For every valid IPv4 input it equals the input; equal addresses
 *   written differently share one key, so they share one timeout on the agent.
 */
import type { ArEnvelope } from '../../protocol/ar-message.js';
import { getPath, type JsonValue } from '../../protocol/json.js';
import { formatIp, parseIp, unmapIpv4, type IpAddress } from '../../core/net/ip.js';
import type { StockInputResult } from './stock-script.js';

/** Wazuh 4.14.7's message for a missing or invalid srcip (firewall-drop, firewalld-drop, host-deny). */
export const SRCIP_INVALID_LOG = "Cannot read 'srcip' from data or invalid IP format";
/** Wazuh's plain message for a missing or invalid srcip (route-null and others). */
export const SRCIP_MISSING_LOG = "Cannot read 'srcip' from data";
/** Wazuh's message for a missing or invalid dstuser. */
export const DSTUSER_INVALID_LOG = "Cannot read 'dstuser' from data";

/** `parameters.alert.data`, when parameters.alert and data are objects. */
function alertData(message: ArEnvelope): JsonValue | undefined {
  return getPath(message.parameters, ['alert', 'data']);
}

/**
 * The raw srcip string in Wazuh's lookup order: data.win.eventdata.ipAddress, then
 * data.win.eventdata.destinationIp, then data.srcip. The first string found wins, valid or not
 * (an invalid ipAddress does not fall back to srcip).
 */
export function rawSrcip(message: ArEnvelope): string | undefined {
  const data = alertData(message);
  const paths: readonly (readonly string[])[] = [
    ['win', 'eventdata', 'ipAddress'],
    ['win', 'eventdata', 'destinationIp'],
    ['srcip'],
  ];
  for (const path of paths) {
    const v = getPath(data, path);
    if (typeof v === 'string') {
      return v;
    }
  }
  return undefined;
}

/** Parses a key produced by {@link srcipInput}; undefined when it is not a valid address. */
export function ipOfKey(key: string | undefined): IpAddress | undefined {
  return key === undefined ? undefined : parseIp(key);
}

/** Strict srcip, IPv4-mapped addresses unmapped; undefined when absent or invalid. */
export function validSrcip(message: ArEnvelope): IpAddress | undefined {
  const raw = rawSrcip(message);
  const ip = raw === undefined ? undefined : parseIp(raw);
  return ip && unmapIpv4(ip);
}

/** StockScript.input for srcip scripts: key = canonical address text. */
export function srcipInput(message: ArEnvelope, failLog: string = SRCIP_INVALID_LOG): StockInputResult {
  const ip = validSrcip(message);
  return ip ? { ok: true, key: formatIp(ip) } : { ok: false, log: failLog };
}

const USERNAME_FORBIDDEN_CHARS = /[:, \t\n\r/\\]/;
const utf8 = new TextEncoder();

/**
 * Wazuh 4.14.7 `is_valid_username`: rejects empty, `root`, longer than 256 bytes (UTF-8, C strlen), a leading `-`, `+` or
 * `~`, any of `:` `,` space tab CR LF `/` `\`, and `..`; accepts everything else.
 */
export function isValidUsername(name: string): boolean {
  if (name === '' || name === 'root' || utf8.encode(name).length > 256) {
    return false;
  }
  if (name.startsWith('-') || name.startsWith('+') || name.startsWith('~')) {
    return false;
  }
  return !USERNAME_FORBIDDEN_CHARS.test(name) && !name.includes('..');
}

/** `parameters.alert.data.dstuser` when a valid user name, else undefined. */
export function validDstuser(message: ArEnvelope): string | undefined {
  const v = getPath(alertData(message), ['dstuser']);
  return typeof v === 'string' && isValidUsername(v) ? v : undefined;
}

/** StockScript.input for user scripts: key = the user name. */
export function dstuserInput(message: ArEnvelope, failLog: string = DSTUSER_INVALID_LOG): StockInputResult {
  const user = validDstuser(message);
  return user === undefined ? { ok: false, log: failLog } : { ok: true, key: user };
}
