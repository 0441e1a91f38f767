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
 * Batch form: our routes listed once per family, then ONE `ip -force -batch -` carrying only the
 * changes the batch needs, in order; `ip` reports each failing line, which fails only its item.
 * Exit: 0 success or abort, 255 failure.
 */
import { formatIp, type IpAddress, type IpVersion } from '../core/net/ip.js';
import { ipOfKey, SRCIP_MISSING_LOG, srcipInput } from './contract/input.js';
import { ScriptFailure, type StockContext, type StockScript } from './contract/stock-script.js';
import type { StockBatchItem, StockBatchResult } from './contract/stock-batch.js';
import { firstOutputLine, runTool } from './contract/tools.js';
import { errorMessage } from '../protocol/error-message.js';

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

/** The addresses (canonical text) of our blackhole routes of one family: one `ip route show`. */
async function listBlackholes(version: IpVersion): Promise<Set<string>> {
  const args = [`-${version}`, 'route', 'show', 'proto', ROUTE_PROTO, 'type', 'blackhole'];
  const result = await runTool({ tool: 'ip', args });
  if (result.exitCode !== 0) {
    throw new ScriptFailure(`Unable to run ip ${args.join(' ')}: ${firstOutputLine(result)}`);
  }
  const found = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    const prefix = /^blackhole\s+(\S+)/.exec(line.trim())?.[1];
    const ip = ipOfKey(prefix?.replace(/\/(32|128)$/, ''));
    if (ip) {
      found.add(formatIp(ip));
    }
  }
  return found;
}

/**
 * The `ip -batch` lines that take our routes from `present` through `changes` in order, only
 * where a change is needed; each line with the index of the change it belongs to. Pure.
 */
export function routeBatchLines(
  present: ReadonlySet<string>,
  changes: readonly { readonly mode: 'add' | 'delete'; readonly ip: IpAddress }[],
): { line: string; item: number }[] {
  const state = new Set(present);
  const lines: { line: string; item: number }[] = [];
  changes.forEach(({ mode, ip }, item) => {
    const text = formatIp(ip);
    if ((mode === 'add') === state.has(text)) {
      return; // already as wanted
    }
    const { prefix } = routeArgs(ip);
    lines.push({
      line: `route ${mode === 'add' ? 'add' : 'del'} blackhole ${prefix} proto ${ROUTE_PROTO}`,
      item,
    });
    if (mode === 'add') {
      state.add(text);
    } else {
      state.delete(text);
    }
  });
  return lines;
}

/** Line numbers `ip -force -batch` reports as failed (`Command failed -:N`), with the message before each. */
function failedLines(stderr: string): Map<number, string> {
  const failed = new Map<number, string>();
  let last = '';
  for (const line of stderr.split('\n')) {
    const n = /^Command failed -:(\d+)/.exec(line)?.[1];
    if (n === undefined) {
      last = line.trim() || last;
    } else {
      failed.set(Number(n), last);
      last = '';
    }
  }
  return failed;
}

/** The batch form (see the module header). */
async function batch(items: readonly StockBatchItem[]): Promise<StockBatchResult[]> {
  const results: StockBatchResult[] = new Array<StockBatchResult>(items.length).fill(undefined);
  const changes: { mode: 'add' | 'delete'; ip: IpAddress }[] = [];
  const itemOf: number[] = [];
  items.forEach((item, i) => {
    const ip = ipOfKey(item.ctx.key);
    if (ip) {
      changes.push({ mode: item.mode, ip });
      itemOf.push(i);
    } else {
      results[i] = `Unable to run active response (invalid IP: '${item.ctx.key ?? ''}').`;
    }
  });
  try {
    const present = new Set<string>();
    for (const version of new Set(changes.map((c) => c.ip.version))) {
      for (const ip of await listBlackholes(version)) {
        present.add(ip);
      }
    }
    const lines = routeBatchLines(present, changes);
    if (lines.length === 0) {
      return results;
    }
    const result = await runTool({
      tool: 'ip',
      args: ['-force', '-batch', '-'],
      input: `${lines.map((l) => l.line).join('\n')}\n`,
    });
    if (result.exitCode === 0) {
      return results;
    }
    const failed = failedLines(result.stderr);
    if (failed.size === 0) {
      throw new ScriptFailure(`Unable to run ip -batch: ${firstOutputLine(result)}`);
    }
    for (const [n, why] of failed) {
      const l = lines[n - 1];
      if (l !== undefined) {
        results[itemOf[l.item] as number] = `Unable to run ip ${l.line}: ${why}`;
      }
    }
  } catch (err) {
    const why = errorMessage(err);
    return results.map((r) => r ?? why);
  }
  return results;
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
  batch,
};
