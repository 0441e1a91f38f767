/**
 * route-null: null-routes the alert's source IP (stateful, key = the IP), IPv4 and IPv6 (Wazuh's
 * Linux script is IPv4-only: `route add <ip> reject`).
 *
 * add: `ip [-6] route add blackhole <ip>/32|128 proto 247`; delete: removes that route.
 * The route is tagged with routing protocol 247 (unassigned in iproute2's rt_protos) so that we only
 * ever see and delete our own routes: an operator's existing host route to the address is never
 * replaced (the add then fails, logged), and delete never removes a route we did not create.
 * Idempotent: a present route makes add a no-op; an absent route makes delete a no-op.
 * Lock: none (each route change is one atomic netlink request; races are re-checked).
 * Exit: 0 success or abort, 255 failure.
 */
import { formatIp, type IpAddress } from '../core/net/ip.js';
import { ipOfKey, SRCIP_MISSING_LOG, srcipInput } from './contract/input.js';
import { ScriptFailure, type StockContext, type StockScript } from './contract/stock-script.js';
import { firstOutputLine, runTool } from './contract/tools.js';

/** Routing protocol number that marks Riposte's blackhole routes. */
export const ROUTE_PROTO = '247';

function routeArgs(ip: IpAddress): { family: string; prefix: string } {
  return ip.version === 4
    ? { family: '-4', prefix: `${formatIp(ip)}/32` }
    : { family: '-6', prefix: `${formatIp(ip)}/128` };
}

/** True when our blackhole route for `ip` exists. */
export async function hasBlackhole(ip: IpAddress): Promise<boolean> {
  const { family, prefix } = routeArgs(ip);
  const result = await runTool({
    tool: 'ip',
    args: [family, 'route', 'show', 'exact', prefix, 'proto', ROUTE_PROTO, 'type', 'blackhole'],
  });
  if (result.exitCode !== 0) {
    throw new ScriptFailure(`Unable to run ip route show ${prefix}: ${firstOutputLine(result)}`);
  }
  return result.stdout.trim() !== '';
}

/** Runs `ip route add|del`; on failure re-checks the state, since a concurrent run may have won. */
async function changeRoute(ip: IpAddress, verb: 'add' | 'del'): Promise<void> {
  const { family, prefix } = routeArgs(ip);
  const args = [family, 'route', verb, 'blackhole', prefix, 'proto', ROUTE_PROTO];
  const result = await runTool({ tool: 'ip', args });
  if (result.exitCode === 0 || (await hasBlackhole(ip)) === (verb === 'add')) {
    return;
  }
  throw new ScriptFailure(`Unable to run ip ${args.join(' ')}: ${firstOutputLine(result)}`);
}

function ipOf(ctx: StockContext): IpAddress {
  const ip = ipOfKey(ctx.key);
  if (!ip) {
    throw new ScriptFailure(`Unable to run active response (invalid IP: '${ctx.key ?? ''}').`);
  }
  return ip;
}

export const routeNull: StockScript = {
  name: 'route-null',
  stateful: true,
  input: (message) => srcipInput(message, SRCIP_MISSING_LOG),
  async add(ctx) {
    const ip = ipOf(ctx);
    if (!(await hasBlackhole(ip))) {
      await changeRoute(ip, 'add');
    }
  },
  async delete(ctx) {
    const ip = ipOf(ctx);
    if (await hasBlackhole(ip)) {
      await changeRoute(ip, 'del');
    }
  },
};
