/**
 * ipset backend, for hosts with iptables but without nftables: sets `riposte4` (hash:ip, family
 * inet) and `riposte6` (family inet6), matched by one rule per chain
 * (`-m set --match-set riposteN src -j DROP` on INPUT and FORWARD, iptables/ip6tables), created once
 * and never duplicated. A block or unblock is one set element (`ipset restore -exist`: adding a
 * present element or deleting an absent one is not an error). Sets and rules stay in place when the
 * last element is removed: they are Riposte's infrastructure, not a block. The caller holds the
 * `fw-drop` lock (set and rule creation is check-then-act).
 */
import { formatIp, type IpAddress, type IpVersion } from '../../core/net/ip.js';
import { runToolChecked } from '../contract/tools.js';
import { LockDir, withLock } from '../contract/lock.js';
import { isolateByHalving } from '../contract/stock-batch.js';
import { errorMessage } from '../../protocol/error-message.js';
import type { FirewallBackend, FirewallOp } from './backend.js';
import { ensureRule, IPTABLES_CHAINS } from './iptables.js';

export const IPSET_NAMES: Readonly<Record<IpVersion, string>> = { 4: 'riposte4', 6: 'riposte6' };
/** Capacity of each set. */
const IPSET_MAXELEM = '1048576';

/** Creates the set and its match rules for one IP version (idempotent). */
async function ensureFamily(version: IpVersion): Promise<void> {
  const set = IPSET_NAMES[version];
  const family = version === 4 ? 'inet' : 'inet6';
  await runToolChecked({
    tool: 'ipset',
    args: ['create', set, 'hash:ip', 'family', family, 'maxelem', IPSET_MAXELEM, '-exist'],
  });
  const tool = version === 4 ? 'iptables' : 'ip6tables';
  for (const chain of IPTABLES_CHAINS) {
    await ensureRule(tool, chain, ['-m', 'set', '--match-set', set, 'src', '-j', 'DROP']);
  }
}

/** Applies `add` or `del` for every address, one `ipset restore` run. */
async function change(verb: 'add' | 'del', ips: readonly IpAddress[]): Promise<void> {
  if (ips.length === 0) {
    return;
  }
  for (const version of new Set(ips.map((ip) => ip.version))) {
    await ensureFamily(version);
  }
  const input = ips.map((ip) => `${verb} ${IPSET_NAMES[ip.version]} ${formatIp(ip)}\n`).join('');
  await runToolChecked({ tool: 'ipset', args: ['restore', '-exist'], input });
}

/** `ipset restore` lines for `ops`, in order. */
export function ipsetRestoreInput(ops: readonly FirewallOp[]): string {
  return ops
    .map((op) => `${op.kind === 'add' ? 'add' : 'del'} ${IPSET_NAMES[op.ip.version]} ${formatIp(op.ip)}\n`)
    .join('');
}

/**
 * The batch form: under the lock, the sets and rules ensured once, then ONE `ipset restore -exist`
 * for every op (a part again only when it fails: `ipset restore` stops at the first failing line,
 * and with -exist re-running the lines before it is harmless).
 */
async function applyOps(ops: readonly FirewallOp[], home: string): Promise<(string | undefined)[]> {
  if (ops.length === 0) {
    return [];
  }
  try {
    return await withLock({ home, dir: LockDir.FIREWALL }, async () => {
      for (const version of new Set(ops.map((op) => op.ip.version))) {
        await ensureFamily(version);
      }
      return isolateByHalving(ops, async (part) => {
        await runToolChecked({ tool: 'ipset', args: ['restore', '-exist'], input: ipsetRestoreInput(part) });
      });
    });
  } catch (err) {
    const why = errorMessage(err);
    return ops.map(() => why);
  }
}

export const ipsetBackend: FirewallBackend = {
  name: 'ipset',
  needsLock: true,
  block: (ips) => change('add', ips),
  unblock: (ips) => change('del', ips),
  applyOps,
};
