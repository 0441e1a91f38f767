/**
 * `riposte firewall flush`: removes every kernel object Riposte's stock scripts create that can be
 * told apart from the administrator's own, for an uninstall or a clean slate (issue #9 item 5):
 *  - nftables: the table `inet riposte` (its sets and chains go with it);
 *  - ipset backend: the `-m set --match-set riposte4|riposte6 src -j DROP` rules in INPUT/FORWARD
 *    (iptables/ip6tables), then the sets themselves;
 *  - route-null: blackhole routes marked with Riposte's routing protocol number (247).
 * Per-address iptables rules (`-s IP -j DROP`, Wazuh's layout) look like anyone's: revert them with
 * `riposte ar revert --all` while the daemon runs, before this. Tools that are not installed are
 * skipped. Each step reports what it removed; a step that fails does not stop the others.
 */
import { NFT_TABLE } from './nftables.js';
import { IPSET_NAMES } from './ipset.js';
import { IPTABLES_CHAINS, removeRule } from './iptables.js';
import { resolveBinary, runTool } from '../contract/tools.js';
import { ROUTE_PROTO } from '../route-null.js';
import { errorMessage } from '../../protocol/error-message.js';

export interface FlushStep {
  readonly what: string;
  readonly result: 'removed' | 'absent' | 'skipped' | 'failed';
  readonly detail?: string;
}

async function flushNft(): Promise<FlushStep> {
  const what = `nftables table ${NFT_TABLE}`;
  if (resolveBinary('nft') === undefined) {
    return { what, result: 'skipped', detail: 'nft is not installed' };
  }
  const [family = 'inet', name = 'riposte'] = NFT_TABLE.split(' ');
  const listed = await runTool({ tool: 'nft', args: ['list', 'table', family, name] });
  if (listed.exitCode !== 0) {
    return { what, result: 'absent' };
  }
  const deleted = await runTool({ tool: 'nft', args: ['delete', 'table', family, name] });
  return deleted.exitCode === 0
    ? { what, result: 'removed' }
    : { what, result: 'failed', detail: deleted.stderr.trim() };
}

async function flushIpset(version: 4 | 6): Promise<FlushStep> {
  const set = IPSET_NAMES[version];
  const what = `ipset ${set} and its iptables rules`;
  if (resolveBinary('ipset') === undefined) {
    return { what, result: 'skipped', detail: 'ipset is not installed' };
  }
  const exists = await runTool({ tool: 'ipset', args: ['list', '-n', set] });
  if (exists.exitCode !== 0) {
    return { what, result: 'absent' };
  }
  const tool = version === 4 ? 'iptables' : 'ip6tables';
  if (resolveBinary(tool) !== undefined) {
    for (const chain of IPTABLES_CHAINS) {
      await removeRule(tool, chain, ['-m', 'set', '--match-set', set, 'src', '-j', 'DROP']);
    }
  }
  const destroyed = await runTool({ tool: 'ipset', args: ['destroy', set] });
  return destroyed.exitCode === 0
    ? { what, result: 'removed' }
    : { what, result: 'failed', detail: destroyed.stderr.trim() };
}

async function flushRoutes(version: 4 | 6): Promise<FlushStep> {
  const what = `IPv${version} blackhole routes of route-null (proto ${ROUTE_PROTO})`;
  if (resolveBinary('ip') === undefined) {
    return { what, result: 'skipped', detail: 'ip is not installed' };
  }
  const family = version === 4 ? '-4' : '-6';
  const shown = await runTool({ tool: 'ip', args: [family, 'route', 'show', 'proto', ROUTE_PROTO] });
  if (shown.exitCode === 0 && shown.stdout.trim() === '') {
    return { what, result: 'absent' };
  }
  const flushed = await runTool({ tool: 'ip', args: [family, 'route', 'flush', 'proto', ROUTE_PROTO] });
  return flushed.exitCode === 0
    ? { what, result: 'removed', detail: `${shown.stdout.trim().split('\n').length} route(s)` }
    : { what, result: 'failed', detail: flushed.stderr.trim() };
}

async function guarded(what: string, step: () => Promise<FlushStep>): Promise<FlushStep> {
  try {
    return await step();
  } catch (err) {
    return { what, result: 'failed', detail: errorMessage(err) };
  }
}

/** Runs every step; never throws (each failure is a step result). */
export async function flushRiposteFirewall(): Promise<FlushStep[]> {
  return [
    await guarded('nftables', flushNft),
    await guarded('ipset riposte4', () => flushIpset(4)),
    await guarded('ipset riposte6', () => flushIpset(6)),
    await guarded('routes IPv4', () => flushRoutes(4)),
    await guarded('routes IPv6', () => flushRoutes(6)),
  ];
}
