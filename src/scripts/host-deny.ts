/**
 * host-deny: denies a source address to every tcp_wrappers service. Stateful, key = the srcip.
 *
 * Input:  srcip (contract/input.ts: strict, IPv4-mapped unmapped, key = canonical text).
 * Effect: add puts `ALL:<ipv4>` or `ALL:[<ipv6>]` into /etc/hosts.deny; delete removes exactly the
 *         entries for that address (host-deny/entries.ts: exact match, unlike Wazuh's substring match,
 *         reference §8 item 10). Both rewrite the file atomically, keeping its mode and owner, under
 *         the lock `active-response/bin/host-deny-lock` shared with Wazuh's own host-deny.
 * Idempotent: an address already denied is not added twice and the add succeeds (Wazuh logs
 *         `IP <ip> already exists on '<file>'` and exits 255); deleting an absent entry, or from a
 *         missing file, succeeds.
 * Exit:   0 done; 255 invalid input, lock timeout, or `Unable to write file '/etc/hosts.deny': <why>`.
 *
 * The file path is fixed on purpose: no option, no environment variable. A path taken from the
 * message would let whoever can send an AR write any file as root. Tests run the script in a private
 * mount namespace with a temporary /etc instead.
 */
import { ipOfKey, srcipInput, SRCIP_INVALID_LOG } from './contract/input.js';
import { LockDir, withLock } from './contract/lock.js';
import { ScriptFailure, type StockContext, type StockScript } from './contract/stock-script.js';
import type { StockBatchItem, StockBatchResult } from './contract/stock-batch.js';
import { atomicRewrite, readTextOrEmpty } from './host-deny/atomic-rewrite.js';
import { denyEntry, withEntry, withoutEntry } from './host-deny/entries.js';
import type { IpAddress } from '../core/net/ip.js';
import { errorMessage } from '../protocol/error-message.js';

/** The tcp_wrappers deny file. */
export const HOSTS_DENY_PATH = '/etc/hosts.deny';

type Edit = (text: string, addr: IpAddress) => string;

/** The address to act on; the runner validated it, so a failure here is a programming error. */
function addressOf(ctx: StockContext): IpAddress {
  const addr = ipOfKey(ctx.key);
  if (addr === undefined) {
    throw new ScriptFailure(SRCIP_INVALID_LOG);
  }
  return addr;
}

/** Applies `edit` to the file under the lock; writes only when the text changes. Returns true if written. */
async function editFile(ctx: StockContext, addr: IpAddress, edit: Edit): Promise<boolean> {
  return withLock({ home: ctx.host.home, dir: LockDir.HOST_DENY }, async () => {
    try {
      const before = await readTextOrEmpty(HOSTS_DENY_PATH);
      const after = edit(before, addr);
      if (after === before) {
        return false;
      }
      await atomicRewrite(HOSTS_DENY_PATH, after);
      return true;
    } catch (err) {
      throw new ScriptFailure(`Unable to write file '${HOSTS_DENY_PATH}': ${(err as Error).message}`);
    }
  });
}

async function add(ctx: StockContext): Promise<void> {
  const addr = addressOf(ctx);
  if (!(await editFile(ctx, addr, withEntry))) {
    ctx.log(`Entry '${denyEntry(addr)}' already present on '${HOSTS_DENY_PATH}'`);
  }
}

async function remove(ctx: StockContext): Promise<void> {
  if (!(await editFile(ctx, addressOf(ctx), withoutEntry))) {
    ctx.log(`No entry for '${ctx.key ?? ''}' on '${HOSTS_DENY_PATH}'`);
  }
}

/** One edit of a batch: add or remove the entry for `addr`. */
export interface DenyEdit {
  readonly mode: 'add' | 'delete';
  readonly addr: IpAddress;
}

/**
 * Applies `edits` in order to `text` (pure): the final text and, per edit, whether it changed
 * nothing (an address already denied, or an entry already absent).
 */
export function applyDenyEdits(text: string, edits: readonly DenyEdit[]): { text: string; noop: boolean[] } {
  let current = text;
  const noop = edits.map((e) => {
    const next = e.mode === 'add' ? withEntry(current, e.addr) : withoutEntry(current, e.addr);
    const same = next === current;
    current = next;
    return same;
  });
  return { text: current, noop };
}

/** The batch form: one lock, one read and at most one atomic rewrite for the whole batch. */
async function batch(items: readonly StockBatchItem[]): Promise<StockBatchResult[]> {
  const first = items[0];
  if (first === undefined) {
    return [];
  }
  const addrs = items.map((i) => ipOfKey(i.ctx.key));
  const edits = items.flatMap((i, n): DenyEdit[] => {
    const addr = addrs[n];
    return addr ? [{ mode: i.mode, addr }] : [];
  });
  let noop: boolean[];
  try {
    noop = await withLock({ home: first.ctx.host.home, dir: LockDir.HOST_DENY }, async () => {
      try {
        const before = await readTextOrEmpty(HOSTS_DENY_PATH);
        const result = applyDenyEdits(before, edits);
        if (result.text !== before) {
          await atomicRewrite(HOSTS_DENY_PATH, result.text);
        }
        return result.noop;
      } catch (err) {
        throw new ScriptFailure(`Unable to write file '${HOSTS_DENY_PATH}': ${(err as Error).message}`);
      }
    });
  } catch (err) {
    const why = errorMessage(err);
    return items.map(() => why);
  }
  let e = 0;
  return items.map((item, n) => {
    const addr = addrs[n];
    if (!addr) {
      return SRCIP_INVALID_LOG;
    }
    if (noop[e++] === true) {
      item.ctx.log(
        item.mode === 'add'
          ? `Entry '${denyEntry(addr)}' already present on '${HOSTS_DENY_PATH}'`
          : `No entry for '${item.ctx.key ?? ''}' on '${HOSTS_DENY_PATH}'`,
      );
    }
    return undefined;
  });
}

export const hostDeny: StockScript = {
  name: 'host-deny',
  stateful: true,
  input: (message) => srcipInput(message),
  add,
  delete: remove,
  batch,
};
