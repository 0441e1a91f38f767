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
import {
  isolateRangesByHalving,
  type JoinedKeys,
  type KeyFailure,
  type StockBatchItem,
  type StockBatchResult,
} from '../contract/stock-batch.js';
import { errorMessage } from '../../protocol/error-message.js';
import { addressText, elementText, INVALID, readAddressList } from './address-list.js';
import type { FirewallBackend, FirewallOp } from './backend.js';
import { backendFromArgs, detectBackend, selectBackend } from './select-backend.js';

const invalidIp = (key: string | undefined): string =>
  `Unable to run active response (invalid IP: '${key ?? ''}').`;

type Change = (backend: FirewallBackend, ips: readonly IpAddress[]) => Promise<void>;

async function apply(ctx: StockContext, change: Change): Promise<void> {
  const ip = ipOfKey(ctx.key);
  if (!ip) {
    throw new ScriptFailure(invalidIp(ctx.key));
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

/**
 * The batch form: items grouped by backend (in order within each), each group one batch of its
 * backend (one nft transaction, one `ipset restore`, one `iptables-restore` per family).
 */
async function batch(items: readonly StockBatchItem[]): Promise<StockBatchResult[]> {
  const results: StockBatchResult[] = new Array<StockBatchResult>(items.length).fill(undefined);
  const groups = new Map<FirewallBackend, { index: number[]; ops: FirewallOp[] }>();
  const byArgs = new Map<string, FirewallBackend>();
  for (const [i, item] of items.entries()) {
    const ip = ipOfKey(item.ctx.key);
    if (!ip) {
      results[i] = invalidIp(item.ctx.key);
      continue;
    }
    const args = item.ctx.extraArgs.join('\0');
    try {
      let backend = byArgs.get(args);
      if (backend === undefined) {
        backend = await selectBackend(item.ctx.extraArgs);
        byArgs.set(args, backend);
      }
      let group = groups.get(backend);
      if (!group) {
        group = { index: [], ops: [] };
        groups.set(backend, group);
      }
      group.index.push(i);
      group.ops.push({ kind: item.mode, ip });
    } catch (err) {
      results[i] = errorMessage(err);
    }
  }
  const home = items[0]?.ctx.host.home ?? '';
  await Promise.all(
    [...groups].map(async ([backend, g]) => {
      const part = await backend.applyOps(g.ops, home);
      part.forEach((r, k) => {
        results[g.index[k] as number] = r;
      });
    }),
  );
  return results;
}

/**
 * The re-apply form: every key checked (address-list.ts), then the valid ones blocked in one
 * transaction of the default backend (its lean `addList` when it has one), a failing element
 * isolated by halving so that it fails alone.
 */
async function reapplyJoined(req: JoinedKeys): Promise<KeyFailure[] | undefined> {
  const list = readAddressList(req.keys, req.count);
  if (list === undefined) {
    return undefined;
  }
  const failures: KeyFailure[] = [];
  const fail = (i: number, message: string): void => {
    failures.push({ key: elementText(list, i), message });
  };
  for (let i = 0; i < list.count; i++) {
    if (list.family[i] === INVALID) {
      fail(i, invalidIp(elementText(list, i)));
    }
  }
  const backend = await selectBackend([]);
  if (backend.addList !== undefined) {
    const addList = (from: number, to: number): Promise<void> =>
      backend.addList?.(list, from, to) ?? Promise.resolve();
    const run = isolateRangesByHalving(list.count, (from, to) =>
      req.signal.aborted
        ? Promise.reject(new ScriptFailure('Aborted: execution time limit reached'))
        : addList(from, to),
    );
    setImmediate(req.started); // after the transaction this turn submitted has been started
    (await run).forEach((r, i) => {
      if (r !== undefined) {
        fail(i, r);
      }
    });
    return failures;
  }
  const index: number[] = [];
  const ops: FirewallOp[] = [];
  for (let i = 0; i < list.count; i++) {
    const ip = list.family[i] === INVALID ? undefined : ipOfKey(addressText(list, i));
    if (ip !== undefined) {
      index.push(i);
      ops.push({ kind: 'add', ip });
    }
  }
  const run = backend.applyOps(ops, req.home);
  setImmediate(req.started);
  (await run).forEach((r, k) => {
    if (r !== undefined) {
      fail(index[k] as number, r);
    }
  });
  return failures;
}

/** The adopt form (StockScript.adoptJoined): the valid keys handed to the default backend. */
async function adoptJoined(req: Pick<JoinedKeys, 'keys' | 'count'>): Promise<void> {
  const list = readAddressList(req.keys, req.count);
  if (list === undefined) {
    return;
  }
  try {
    (await selectBackend([])).adoptList?.(list);
  } catch {
    // No backend to adopt them: the first add reports the same failure where it is seen.
  }
}

export const firewallDrop: StockScript = {
  name: 'firewall-drop',
  stateful: true,
  input,
  add: (ctx) => apply(ctx, (b, ips) => b.block(ips)),
  delete: (ctx) => apply(ctx, (b, ips) => b.unblock(ips)),
  batch,
  reapplyJoined,
  adoptJoined,
  // The backend probe (`nft list tables`) runs once per process: start it before a bulk run needs it.
  warmUp: () => {
    void detectBackend();
  },
};
