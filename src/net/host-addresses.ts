/**
 * The addresses a response must never block on this host, beyond the fixed classes of
 * core/match/never-block.ts: every address of this host's interfaces, and the link peer (the
 * manager this agent is connected to; blocking it would cut the agent off its manager). Adapter:
 * reads the interfaces (cached for 5 s, so a burst of messages costs one getifaddrs) and keeps the
 * peers the agent connector reports. Process-wide, like the process's interfaces.
 */
import { networkInterfaces } from 'node:os';
import { protectedAddresses, type ProtectedAddresses } from '../core/match/never-block.js';

const CACHE_MS = 5_000;
const peers = new Set<string>();
let cached: { at: number; value: ProtectedAddresses } | undefined;

/** Records the remote address of the manager link (called on each connection). */
export function addLinkPeer(address: string | undefined): void {
  if (address !== undefined && address !== '' && !peers.has(address)) {
    peers.add(address);
    cached = undefined;
  }
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i === undefined ? [] : [i.address]));
}

/** This host's protected addresses (interfaces + link peers). */
export function hostProtectedAddresses(now: number = Date.now()): ProtectedAddresses {
  if (cached === undefined || now - cached.at > CACHE_MS) {
    const entries: [string, string][] = [
      ...interfaceAddresses().map((a): [string, string] => [a, 'an address of this host']),
      ...[...peers].map((a): [string, string] => [a, "this agent's manager (link peer)"]),
    ];
    cached = { at: now, value: protectedAddresses(entries) };
  }
  return cached.value;
}
