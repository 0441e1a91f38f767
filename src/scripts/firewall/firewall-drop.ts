/**
 * firewall-drop: blocks the alert's source IP (stateful, key = the IP).
 *
 * Input: srcip (Wazuh's lookup order, strict IPv4/IPv6, `::ffff:` mapped addresses acted on as IPv4).
 * add: block the address on the input and forward paths; delete: remove exactly that block.
 * Backend: nftables set element (default when nft works), ipset + one iptables rule, or Wazuh's
 * iptables rule layout; see select-backend.ts (`--backend X` in extra_args).
 * Lock: `active-response/bin/fw-drop` (shared with Wazuh's firewall-drop and firewalld-drop) for the
 * iptables and ipset backends; the nftables backend needs none (one atomic transaction).
 * Log lines: the contract's, plus `Unable to take lock. End.`, `Unable to run <tool> ...`.
 * Exit: 0 success or abort, 255 failure.
 */
import type { IpAddress } from '../../core/net/ip.js';
import type { ArEnvelope } from '../../protocol/ar-message.js';
import { ipOfKey, srcipInput } from '../contract/input.js';
import { extraArgsOf } from '../contract/run-stock-script.js';
import { LockDir, withLock } from '../contract/lock.js';
import { ScriptFailure, type StockContext, type StockScript } from '../contract/stock-script.js';
import type { FirewallBackend } from './backend.js';
import { backendFromArgs, selectBackend } from './select-backend.js';

type Change = (backend: FirewallBackend, ips: readonly IpAddress[]) => Promise<void>;

async function apply(ctx: StockContext, change: Change): Promise<void> {
  const ip = ipOfKey(ctx.key);
  if (!ip) {
    throw new ScriptFailure(`Unable to run active response (invalid IP: '${ctx.key ?? ''}').`);
  }
  const backend = await selectBackend(ctx.extraArgs);
  if (!backend.needsLock) {
    await change(backend, [ip]);
    return;
  }
  await withLock({ home: ctx.host.home, dir: LockDir.FIREWALL }, () => change(backend, [ip]));
}

/** srcip, then the `--backend` argument, both checked before the handshake. */
function input(message: ArEnvelope): ReturnType<StockScript['input']> {
  const result = srcipInput(message);
  try {
    backendFromArgs(extraArgsOf(message));
  } catch (err) {
    return { ok: false, log: (err as Error).message };
  }
  return result;
}

export const firewallDrop: StockScript = {
  name: 'firewall-drop',
  stateful: true,
  input,
  add: (ctx) => apply(ctx, (b, ips) => b.block(ips)),
  delete: (ctx) => apply(ctx, (b, ips) => b.unblock(ips)),
};
