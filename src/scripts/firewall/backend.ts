/**
 * One interface per firewall technology (CrowdSec bouncer style). firewall-drop chooses one
 * (select-backend.ts) and calls it with already validated addresses.
 *
 * Contract for every backend:
 * - `block` is idempotent: blocking an address twice leaves exactly one block;
 * - `unblock` removes exactly what `block` created, and succeeds when the address is not blocked;
 * - both handle IPv4 and IPv6 and drop traffic from the address on the input and forward paths;
 * - failures throw ScriptFailure with a complete log message.
 * Locking is the caller's business (see {@link FirewallBackend.needsLock}).
 */
import type { IpAddress } from '../../core/net/ip.js';
import type { StockBatchResult } from '../contract/stock-batch.js';
import type { AddressList } from './address-list.js';

/** One change of a batch: block or unblock one address. */
export interface FirewallOp {
  readonly kind: 'add' | 'delete';
  readonly ip: IpAddress;
}

export type BackendName = 'nftables' | 'iptables' | 'ipset';

export const BACKEND_NAMES: readonly BackendName[] = ['nftables', 'iptables', 'ipset'];

export interface FirewallBackend {
  readonly name: BackendName;
  /**
   * True when concurrent runs (other processes) must be serialised with the `fw-drop` lock:
   * check-then-insert sequences are not atomic. nftables needs none: one transaction is atomic.
   */
  readonly needsLock: boolean;
  block(ips: readonly IpAddress[]): Promise<void>;
  unblock(ips: readonly IpAddress[]): Promise<void>;
  /**
   * The batch form: applies `ops` in order with one tool run for all of them (per IP family where
   * the tool is per family), taking the lock itself when it needs one. One result per op:
   * undefined = done, or its failure message; a failing op fails alone (isolated by halving).
   * Never rejects.
   */
  applyOps(ops: readonly FirewallOp[], home: string): Promise<StockBatchResult[]>;
  /**
   * The lean add form (optional): blocks the valid elements [from, to) of a checked address list
   * (address-list.ts) in ONE transaction, building nothing per element; rejects with a ScriptFailure
   * when it fails (the caller isolates a failing element by halving). Absent: use applyOps.
   */
  addList?(list: AddressList, from: number, to: number): Promise<void>;
  /**
   * Takes the valid elements of a checked address list as blocked by an earlier process (optional):
   * nothing is run; a backend that re-creates lost state (nftables.ts) puts them back with it.
   */
  adoptList?(list: AddressList): void;
}
