/**
 * nftables backend: one table `inet riposte` with two sets (`blocked4` ipv4_addr, `blocked6`
 * ipv6_addr) and two base chains (input and forward hooks, priority -10, before the usual filter
 * chains) each dropping `ip saddr @blocked4` and `ip6 saddr @blocked6`. A block or an unblock is one
 * set element, so the cost does not grow with the number of blocked addresses.
 *
 * The first transaction of a process (`nft -f -`, atomic) ensures the table: `add table/set/chain`
 * are idempotent, and the two rules are re-created after a `flush chain` in the same transaction,
 * so they are never duplicated and a hand-deleted rule comes back. Later transactions carry set
 * elements only; when one fails (the table was removed: `nft flush ruleset`, a firewall reload),
 * it is retried once with the table set up again. `add element` is idempotent. To
 * delete an element that may be absent without failing the transaction on nft < 1.0.7 (no
 * `destroy`), the element is added then deleted in the same transaction.
 *
 * No lock is needed: the whole change is one atomic transaction.
 */
import { formatIp } from '../../core/net/ip.js';
import { runTool } from '../contract/tools.js';
import { ScriptFailure } from '../contract/stock-script.js';
import { errorMessage } from '../../protocol/error-message.js';
import type { FirewallBackend, FirewallOp } from './backend.js';
import { addressText, IPV4, startOf, type AddressList } from './address-list.js';
import { NftBatcher, type NftElementsOp, type NftOp } from './nft-batcher.js';

export const NFT_TABLE = 'inet riposte';
export const NFT_SET4 = 'blocked4';
export const NFT_SET6 = 'blocked6';
/** Elements per `add element` statement, to keep lines bounded. */
const ELEMENTS_PER_STATEMENT = 1000;
/** Time limit for one transaction, in ms. */
const NFT_TIMEOUT_MS = 60_000;

/** The idempotent table/sets/chains/rules prologue of every transaction. */
export function nftEnsureScript(): string[] {
  const lines = [
    `add table ${NFT_TABLE}`,
    `add set ${NFT_TABLE} ${NFT_SET4} { type ipv4_addr; }`,
    `add set ${NFT_TABLE} ${NFT_SET6} { type ipv6_addr; }`,
  ];
  for (const hook of ['input', 'forward']) {
    lines.push(
      `add chain ${NFT_TABLE} ${hook} { type filter hook ${hook} priority -10; policy accept; }`,
      `flush chain ${NFT_TABLE} ${hook}`,
      `add rule ${NFT_TABLE} ${hook} ip saddr @${NFT_SET4} drop`,
      `add rule ${NFT_TABLE} ${hook} ip6 saddr @${NFT_SET6} drop`,
    );
  }
  return lines;
}

interface Group {
  readonly kind: FirewallOp['kind'];
  readonly set: string;
  readonly elements: Set<string>;
}

/** A statement's worth of operations: a group of changes, or a run of checked adds as written. */
type Part = Group | NftElementsOp;

const setOf = (family: 4 | 6): string => (family === 4 ? NFT_SET4 : NFT_SET6);

/** Consecutive operations of the same kind and set, deduplicated, in order; runs stay as they are. */
function groupOps(ops: readonly NftOp[]): Part[] {
  const parts: Part[] = [];
  let last: Group | undefined;
  for (const op of ops) {
    if (op.kind === 'add-elements') {
      parts.push(op);
      last = undefined;
      continue;
    }
    const set = setOf(op.ip.version);
    if (!last || last.kind !== op.kind || last.set !== set || last.elements.size >= ELEMENTS_PER_STATEMENT) {
      last = { kind: op.kind, set, elements: new Set() };
      parts.push(last);
    }
    last.elements.add(formatIp(op.ip));
  }
  return parts;
}

/** The `nft -f -` input for `ops`, with the ensure prologue unless `withTable` is false. */
export function nftBatchScript(ops: readonly NftOp[], withTable = true): string {
  const lines = withTable ? nftEnsureScript() : [];
  for (const g of groupOps(ops)) {
    if (g.kind === 'add-elements') {
      lines.push(`add element ${NFT_TABLE} ${setOf(g.family)} { ${g.elements} }`);
      continue;
    }
    const elements = `{ ${[...g.elements].join(', ')} }`;
    lines.push(`add element ${NFT_TABLE} ${g.set} ${elements}`);
    if (g.kind === 'delete') {
      lines.push(`delete element ${NFT_TABLE} ${g.set} ${elements}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The adds of elements [from, to) of a checked address list as runs of at most
 * ELEMENTS_PER_STATEMENT elements; invalid elements are left out. When every element is IPv4
 * (the usual case) each run is one slice of the list's text: nothing per element is built.
 */
export function addressListOps(list: AddressList, from: number, to: number): NftElementsOp[] {
  const ops: NftElementsOp[] = [];
  if (list.allV4) {
    for (let i = from; i < to; i += ELEMENTS_PER_STATEMENT) {
      const last = Math.min(to, i + ELEMENTS_PER_STATEMENT) - 1;
      ops.push({
        kind: 'add-elements',
        family: 4,
        elements: list.text.slice(startOf(list, i), list.ends[last]),
      });
    }
    return ops;
  }
  const runs: Record<4 | 6, string[]> = { 4: [], 6: [] };
  const flush = (family: 4 | 6): void => {
    ops.push({ kind: 'add-elements', family, elements: runs[family].join(',') });
    runs[family] = [];
  };
  for (let i = from; i < to; i++) {
    const text = addressText(list, i);
    if (text === undefined) {
      continue;
    }
    const family = list.family[i] === IPV4 ? 4 : 6;
    runs[family].push(text);
    if (runs[family].length >= ELEMENTS_PER_STATEMENT) {
      flush(family);
    }
  }
  for (const family of [4, 6] as const) {
    if (runs[family].length > 0) {
      flush(family);
    }
  }
  return ops;
}

function runNft(script: string): ReturnType<typeof runTool> {
  return runTool({ tool: 'nft', args: ['-f', '-'], input: script, timeoutMs: NFT_TIMEOUT_MS });
}

/** True once this process has set the table up (reset when a transaction finds it missing). */
let tableReady = false;

/**
 * Runs one transaction: set elements only once the table is known to be there, else with the
 * ensure prologue. @throws ScriptFailure with nft's first error line.
 */
export async function applyNftOps(ops: readonly NftOp[]): Promise<void> {
  if (tableReady) {
    if ((await runNft(nftBatchScript(ops, false))).exitCode === 0) {
      return;
    }
    tableReady = false;
  }
  const result = await runNft(nftBatchScript(ops, true));
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split('\n')[0] ?? '';
    throw new ScriptFailure(
      `Unable to run nft: ${detail || `exit ${String(result.exitCode ?? result.signal)}`}`,
    );
  }
  tableReady = true;
}

/** Builds an nftables backend over `batcher`. */
export function createNftablesBackend(batcher: NftBatcher): FirewallBackend {
  return {
    name: 'nftables',
    needsLock: false,
    block: (ips) => batcher.submit(ips.map((ip) => ({ kind: 'add', ip }))),
    unblock: (ips) => batcher.submit(ips.map((ip) => ({ kind: 'delete', ip }))),
    // One transaction for the whole batch (joined by whatever else this turn submits).
    applyOps: async (ops) =>
      (await batcher.submitEach(ops)).map((err) => (err === undefined ? undefined : errorMessage(err))),
    addList: async (list, from, to) => {
      const ops = addressListOps(list, from, to);
      if (ops.length > 0) {
        await batcher.submit(ops);
      }
    },
  };
}

/** The process-wide batcher: every in-process firewall-drop run shares it. */
export const sharedNftBatcher = new NftBatcher(applyNftOps);

/** The process-wide nftables backend. */
export const nftablesBackend: FirewallBackend = createNftablesBackend(sharedNftBatcher);
