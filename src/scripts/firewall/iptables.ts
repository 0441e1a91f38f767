/**
 * iptables/ip6tables backend with Wazuh's rule layout (reference §4.1): `-I INPUT -s <ip> -j DROP`
 * then `-I FORWARD -s <ip> -j DROP`, ip6tables for IPv6. Unlike Wazuh, each rule is checked with
 * `-C` first (no duplicate on a repeated add) and exit statuses are checked (Wazuh ignores them).
 * Unblock deletes every identical rule (a Wazuh script may have left duplicates) and succeeds when
 * there is none. The caller holds the `fw-drop` lock: check-then-insert is not atomic.
 *
 * One rule per address is linear in the number of blocks; hosts with many blocks should use the
 * nftables or ipset backend.
 */
import { formatIp, type IpAddress } from '../../core/net/ip.js';
import { firstOutputLine, runTool, runToolChecked } from '../contract/tools.js';
import { ScriptFailure } from '../contract/stock-script.js';
import type { FirewallBackend } from './backend.js';

/** Chains Wazuh's firewall-drop uses, in its order. */
export const IPTABLES_CHAINS = ['INPUT', 'FORWARD'] as const;
/** Seconds iptables waits for the xtables lock (`-w`). */
const XTABLES_WAIT_S = '10';
/** Most identical rules removed by one unblock. */
const MAX_DUPLICATES = 64;

/** iptables or ip6tables for an address. */
export function iptablesTool(ip: IpAddress): string {
  return ip.version === 4 ? 'iptables' : 'ip6tables';
}

/**
 * True when `rule` is present in `chain` (`-C`: exit 0 present, 1 absent).
 * @throws ScriptFailure on any other outcome.
 */
export async function hasRule(tool: string, chain: string, rule: readonly string[]): Promise<boolean> {
  const result = await runTool({ tool, args: ['-w', XTABLES_WAIT_S, '-C', chain, ...rule] });
  if (result.exitCode === 0 || result.exitCode === 1) {
    return result.exitCode === 0;
  }
  throw new ScriptFailure(`Unable to run ${tool} -C ${chain} ${rule.join(' ')}: ${firstOutputLine(result)}`);
}

/** Inserts `rule` at the top of `chain` unless already present. */
export async function ensureRule(tool: string, chain: string, rule: readonly string[]): Promise<void> {
  if (!(await hasRule(tool, chain, rule))) {
    await runToolChecked({ tool, args: ['-w', XTABLES_WAIT_S, '-I', chain, ...rule] });
  }
}

/** Deletes every copy of `rule` from `chain` (none is fine). */
export async function removeRule(tool: string, chain: string, rule: readonly string[]): Promise<void> {
  for (let i = 0; i < MAX_DUPLICATES && (await hasRule(tool, chain, rule)); i++) {
    await runToolChecked({ tool, args: ['-w', XTABLES_WAIT_S, '-D', chain, ...rule] });
  }
}

function dropRule(ip: IpAddress): string[] {
  return ['-s', formatIp(ip), '-j', 'DROP'];
}

export const iptablesBackend: FirewallBackend = {
  name: 'iptables',
  needsLock: true,
  async block(ips) {
    for (const ip of ips) {
      for (const chain of IPTABLES_CHAINS) {
        await ensureRule(iptablesTool(ip), chain, dropRule(ip));
      }
    }
  },
  async unblock(ips) {
    for (const ip of ips) {
      for (const chain of IPTABLES_CHAINS) {
        await removeRule(iptablesTool(ip), chain, dropRule(ip));
      }
    }
  },
};
