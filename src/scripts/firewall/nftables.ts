/**
 * nftables backend: one table `inet riposte` with two sets (`blocked4` ipv4_addr, `blocked6`
 * ipv6_addr) and two base chains (input and forward hooks, priority -10, before the usual filter
 * chains) each dropping `ip saddr @blocked4` and `ip6 saddr @blocked6`. A block or an unblock is one
 * set element, so the cost does not grow with the number of blocked addresses.
 *
 * Every transaction (`nft -f -`, atomic) carries the set-up prologue: `add table/set/chain` are
 * idempotent, and the two rules are re-created after a `flush chain` in the same transaction, so
 * they are never duplicated, and a rule removed meanwhile (`nft flush table`, `flush chain`,
 * `delete rule`) is back before the transaction's elements count as blocked. Nothing is trusted
 * from an earlier transaction: the table can change under a long-lived agent at any time.
 *
 * The elements of a removed table (`nft flush ruleset`, `delete table`, a firewall reload) are
 * gone with it, and the prologue alone would silently re-create it empty. So the prologue also
 * keeps a sentinel element in the set `ready` (type mark, matched by no rule), and every
 * transaction after a process's first starts by deleting it (then re-adds it): a table or set
 * lost since makes that transaction fail. A failed transaction is told apart from a failing
 * element by a transaction of the sentinel alone; when the sentinel is gone, the table is set up
 * again with every element this process has committed (nft-mirror.ts), then the operations are
 * applied. `add element` is idempotent. To delete an element that may be absent without failing
 * the transaction on nft < 1.0.7 (no `destroy`), the element is added then deleted in the same
 * transaction.
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
import { NftMirror } from './nft-mirror.js';
import { dryRunSink } from '../contract/tool-scope.js';

export const NFT_TABLE = 'inet riposte';
export const NFT_SET4 = 'blocked4';
export const NFT_SET6 = 'blocked6';
/** The sentinel's set and element: present while the table this process set up is. */
export const NFT_READY = 'ready';
const READY_ELEMENT = '{ 1 }';
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
    `add set ${NFT_TABLE} ${NFT_READY} { type mark; }`,
    `add element ${NFT_TABLE} ${NFT_READY} ${READY_ELEMENT}`,
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
  readonly family: 4 | 6;
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
    const family = op.ip.version;
    if (
      !last ||
      last.kind !== op.kind ||
      last.family !== family ||
      last.elements.size >= ELEMENTS_PER_STATEMENT
    ) {
      last = { kind: op.kind, family, elements: new Set() };
      parts.push(last);
    }
    last.elements.add(formatIp(op.ip));
  }
  return parts;
}

/**
 * How a transaction starts: `guarded` (the sentinel's delete, failing when the table this process
 * set up is gone, then the prologue), `ensure` (the prologue alone) or `none` (elements only).
 */
export type NftPrologue = 'guarded' | 'ensure' | 'none';

const GUARD = `delete element ${NFT_TABLE} ${NFT_READY} ${READY_ELEMENT}`;

function prologueLines(prologue: NftPrologue): string[] {
  if (prologue === 'none') {
    return [];
  }
  return prologue === 'guarded' ? [GUARD, ...nftEnsureScript()] : nftEnsureScript();
}

function scriptOf(prologue: NftPrologue, parts: readonly Part[]): string {
  const lines = prologueLines(prologue);
  for (const g of parts) {
    if (g.kind === 'add-elements') {
      lines.push(`add element ${NFT_TABLE} ${setOf(g.family)} { ${g.elements} }`);
      continue;
    }
    const elements = `{ ${[...g.elements].join(', ')} }`;
    lines.push(`add element ${NFT_TABLE} ${setOf(g.family)} ${elements}`);
    if (g.kind === 'delete') {
      lines.push(`delete element ${NFT_TABLE} ${setOf(g.family)} ${elements}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The `nft -f -` input for `ops`, after the given prologue. */
export function nftBatchScript(ops: readonly NftOp[], prologue: NftPrologue = 'guarded'): string {
  return scriptOf(prologue, groupOps(ops));
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

function nftFailure(result: Awaited<ReturnType<typeof runTool>>): ScriptFailure {
  const detail = result.stderr.trim().split('\n')[0] ?? '';
  return new ScriptFailure(
    `Unable to run nft: ${detail || `exit ${String(result.exitCode ?? result.signal)}`}`,
  );
}

/** The elements this process has committed, put back when its table is found removed. */
const committed = new NftMirror();

/**
 * True once a transaction of this process has committed the prologue, and with it the sentinel
 * the guard deletes, or once it adopted elements an earlier process committed (the table, and the
 * sentinel of a process of this version, should be there). Only chooses whether a transaction
 * starts with the guard: each one carries the prologue whatever this says.
 */
let sentinelPlaced = false;

/**
 * Takes the valid elements of `list` as committed by an earlier process (an agent restarted on
 * the same boot): nothing is run; they are put back with this process's own if the table turns
 * out removed, the first transaction included (it is guarded from now on; a table set up by a
 * version without the sentinel is set up again once, its elements kept).
 */
export function adoptNftList(list: AddressList): void {
  for (const part of addressListOps(list, 0, list.count)) {
    committed.record(part);
  }
  sentinelPlaced = true;
}

/** Whether the sentinel is still there: a transaction of the guard (and its re-add) alone. */
async function sentinelPresent(): Promise<boolean> {
  const lines = [GUARD, `add element ${NFT_TABLE} ${NFT_READY} ${READY_ELEMENT}`];
  return (await runNft(`${lines.join('\n')}\n`)).exitCode === 0;
}

/** Sets the table up again with every element this process has committed. @throws ScriptFailure */
async function restoreTable(): Promise<void> {
  const parts: NftElementsOp[] = [];
  for (const family of [4, 6] as const) {
    const elements = committed.list(family);
    for (let i = 0; i < elements.length; i += ELEMENTS_PER_STATEMENT) {
      const run = elements.slice(i, i + ELEMENTS_PER_STATEMENT).join(',');
      parts.push({ kind: 'add-elements', family, elements: run });
    }
  }
  const result = await runNft(scriptOf('ensure', parts));
  if (result.exitCode !== 0) {
    throw nftFailure(result);
  }
}

/**
 * Runs one transaction of `ops` (guarded once this process has placed the sentinel). When it
 * fails because the table was removed, restores the table and runs them again: never reports
 * elements added to a table that is not there. @throws ScriptFailure with nft's first error line.
 */
export async function applyNftOps(ops: readonly NftOp[]): Promise<void> {
  const parts = groupOps(ops);
  if (dryRunSink() !== undefined) {
    // A dry run records the transaction (tools.ts) and commits nothing: nothing is remembered,
    // or a later table restore would block for real what was only a dry run.
    await runNft(scriptOf('ensure', parts));
    return;
  }
  const result = await runNft(scriptOf(sentinelPlaced ? 'guarded' : 'ensure', parts));
  if (result.exitCode !== 0) {
    // Before this process placed the sentinel, or with it still there, the operations failed.
    if (!sentinelPlaced || (await sentinelPresent())) {
      throw nftFailure(result);
    }
    await restoreTable();
    const again = await runNft(scriptOf('ensure', parts));
    if (again.exitCode !== 0) {
      throw nftFailure(again);
    }
  }
  sentinelPlaced = true;
  for (const part of parts) {
    committed.record(part);
  }
}

/**
 * `ops` through `batcher`, or, in a dry run (tool-scope.ts), alone: a dry run's ops never join a
 * shared transaction, which runs in the scope of whoever started it (a real block taken into a
 * dry run's transaction would only be recorded; a dry run's op in a real one, applied).
 */
function submitTo(batcher: NftBatcher, ops: readonly NftOp[]): Promise<void> {
  return dryRunSink() !== undefined ? applyNftOps(ops) : batcher.submit(ops);
}

/** The batch form's outcome per op: each op's error, or, in a dry run, the whole run's. */
async function submitEachTo(
  batcher: NftBatcher,
  ops: readonly FirewallOp[],
): Promise<(string | undefined)[]> {
  if (dryRunSink() !== undefined) {
    const err = await applyNftOps(ops).then(
      () => undefined,
      (e: unknown) => errorMessage(e),
    );
    return ops.map(() => err);
  }
  return (await batcher.submitEach(ops)).map((err) => (err === undefined ? undefined : errorMessage(err)));
}

/** Builds an nftables backend over `batcher`. */
export function createNftablesBackend(batcher: NftBatcher): FirewallBackend {
  return {
    name: 'nftables',
    needsLock: false,
    block: (ips) =>
      submitTo(
        batcher,
        ips.map((ip) => ({ kind: 'add', ip })),
      ),
    unblock: (ips) =>
      submitTo(
        batcher,
        ips.map((ip) => ({ kind: 'delete', ip })),
      ),
    // One transaction for the whole batch (joined by whatever else this turn submits).
    applyOps: (ops) => submitEachTo(batcher, ops),
    adoptList: adoptNftList,
    addList: async (list, from, to) => {
      const ops = addressListOps(list, from, to);
      if (ops.length > 0) {
        await submitTo(batcher, ops);
      }
    },
  };
}

/** The process-wide batcher: every in-process firewall-drop run shares it. */
export const sharedNftBatcher = new NftBatcher(applyNftOps);

/** The process-wide nftables backend. */
export const nftablesBackend: FirewallBackend = createNftablesBackend(sharedNftBatcher);
