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
import { formatIp, parseNetwork, type IpAddress, type IpVersion } from '../../core/net/ip.js';
import { firstOutputLine, runTool, runToolChecked } from '../contract/tools.js';
import { ScriptFailure } from '../contract/stock-script.js';
import { LockDir, withLock } from '../contract/lock.js';
import { isolateByHalving, type StockBatchResult } from '../contract/stock-batch.js';
import { errorMessage } from '../../protocol/error-message.js';
import type { FirewallBackend, FirewallOp } from './backend.js';

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

/** Prefix length of a single-address rule: what iptables-save prints for `-s <ip>`. */
function hostPrefix(ip: IpAddress): number {
  return ip.version === 4 ? 32 : 128;
}

/**
 * The identity of a `-s <address>/<prefix> -j DROP` rule in `chain`: the address in canonical
 * text (formatIp), so that equal addresses written differently are one rule. ip6tables-save
 * prints IPv4-compatible and IPv4-mapped addresses with a dotted tail (`::ffff:198.51.100.7`)
 * where formatIp writes hex (`::ffff:c633:6407`); comparing the texts missed such rules.
 */
function ruleKey(chain: string, ip: IpAddress, prefix: number): string {
  return `${chain} ${formatIp(ip)}/${prefix}`;
}

/** `-A <chain> -s <ip>/<len> -j DROP` (iptables-save form), nothing else in the rule. */
const SAVED_DROP = /^-A (\S+) -s (\S+) -j DROP$/;

/**
 * The {@link ruleKey} of an iptables-save line when it is a plain source DROP rule (Wazuh's and
 * Riposte's layout); undefined for any other line, which `-C`/`-D` of that layout would not match.
 */
function savedRuleKey(line: string): string | undefined {
  const m = SAVED_DROP.exec(line.trim());
  const net = m?.[2] === undefined ? undefined : parseNetwork(m[2]);
  return m?.[1] === undefined || net === undefined ? undefined : ruleKey(m[1], net.address, net.prefix);
}

/**
 * The `iptables-restore --noflush` lines that take the filter table from the rules in `saved`
 * (iptables-save output) through `ops` in order, with Wazuh's layout and no duplicate: an add
 * inserts each chain's rule only when absent, a delete removes every copy (none is fine). Rules
 * are matched by address value and prefix, not by text (see {@link ruleKey}). Pure.
 */
export function iptablesRestoreLines(saved: string, ops: readonly FirewallOp[]): string[] {
  const count = new Map<string, number>();
  for (const line of saved.split('\n')) {
    const key = savedRuleKey(line);
    if (key !== undefined) {
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const lines: string[] = [];
  for (const op of ops) {
    for (const chain of IPTABLES_CHAINS) {
      lines.push(...chainLines(count, chain, op));
    }
  }
  return lines;
}

/**
 * The lines for one op on one chain, updating `count` (rules present, by {@link ruleKey}). The
 * address is sent in canonical text, which iptables-restore and ip6tables-restore parse
 * numerically (inet_pton) for every valid address, dotted tail or not.
 */
function chainLines(count: Map<string, number>, chain: string, op: FirewallOp): string[] {
  const key = ruleKey(chain, op.ip, hostPrefix(op.ip));
  const n = count.get(key) ?? 0;
  const body = `${chain} -s ${formatIp(op.ip)} -j DROP`;
  if (op.kind === 'add') {
    count.set(key, Math.max(n, 1));
    return n === 0 ? [`-I ${body}`] : [];
  }
  count.set(key, 0);
  return new Array<string>(Math.min(n, MAX_DUPLICATES)).fill(`-D ${body}`);
}

/** One family's part: read the rules once, then ONE atomic `iptables-restore --noflush`. */
async function restoreFamily(version: IpVersion, ops: readonly FirewallOp[]): Promise<void> {
  const tool = version === 4 ? 'iptables' : 'ip6tables';
  const saved = await runToolChecked({ tool: `${tool}-save`, args: ['-t', 'filter'] });
  const lines = iptablesRestoreLines(saved.stdout, ops);
  if (lines.length === 0) {
    return;
  }
  await runToolChecked({
    tool: `${tool}-restore`,
    args: ['-w', XTABLES_WAIT_S, '--noflush'],
    input: `*filter\n${lines.join('\n')}\nCOMMIT\n`,
  });
}

/**
 * The batch form: under the lock, per IP family, one read of the rules and one atomic
 * `iptables-restore --noflush` for all ops; a failing part is halved until the failing op is
 * alone (each retry reads the rules again, since a failed restore changed nothing).
 */
async function applyOps(ops: readonly FirewallOp[], home: string): Promise<StockBatchResult[]> {
  const results: StockBatchResult[] = new Array<StockBatchResult>(ops.length).fill(undefined);
  if (ops.length === 0) {
    return results;
  }
  try {
    await withLock({ home, dir: LockDir.FIREWALL }, async () => {
      for (const version of [4, 6] as const) {
        const index = ops.flatMap((op, i) => (op.ip.version === version ? [i] : []));
        const part = await isolateByHalving(
          index.map((i) => ops[i] as FirewallOp),
          (p) => restoreFamily(version, p),
        );
        part.forEach((r, k) => {
          results[index[k] as number] = r;
        });
      }
    });
  } catch (err) {
    const why = errorMessage(err);
    return ops.map(() => why);
  }
  return results;
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
  applyOps,
};
