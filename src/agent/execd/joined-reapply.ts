/**
 * The re-apply after a reboot of the responses of stock scripts that have a re-apply form
 * (StockScript.reapplyJoined, e.g. firewall-drop): from the stored keys straight to one OS
 * operation, with nothing built per response on the way (100,000 of them at once):
 *
 *   read    the responses' script keys as ONE string (AgentStore.joinedReapplyKeys: those live
 *           after the restore's `now`, with no extra args, but the scope's excluded keys);
 *   act     the re-apply form validates every key, then starts one transaction; a failing key
 *           fails alone (isolated by halving);
 *   record  ONE store transaction built from the same rows (recordJoinedReapplies): one statement
 *           for the successes, one per failure.
 *
 * Like the keyed bulk re-apply (bulk-reapply.ts, reboot mode) the records are written once the
 * form has acted, and the new boot id only after the restore (agent-runtime.ts): a crash before
 * the records are committed re-applies (and records) again at the next start, never twice.
 * Responses a set does not take (extra args, other programs, a key text the form refused) are left
 * to the keyed path: Execd.restore reads them with AgentStore.otherReapplyKeys.
 */
import type { JoinedReapplySet, ReapplyScope } from '../../core/execd/agent-store.js';
import type { ExecutionEnd } from '../../protocol/execution-records.js';
import { appendArLog } from '../../scripts/contract/ar-log.js';
import type { KeyFailure } from '../../scripts/contract/stock-batch.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { runInToolScope } from '../../scripts/contract/tool-scope.js';
import { stockScripts } from '../../scripts/registry.js';
import { reapplyOutcome, type BulkReapplyHooks } from './bulk-reapply.js';
import type { ExecdContext } from './execd-context.js';
import { executionEnd } from './record-outcome.js';
import { withLimit } from '../../exec/with-limit.js';
import { programName } from '../../core/program-name.js';

const NOTE = 're-applied after reboot';

/** A set and the script whose re-apply form acts on it. */
export interface JoinedTarget {
  readonly set: JoinedReapplySet;
  readonly script: StockScript;
}

/** The in-process stateful stock scripts with a re-apply form, one set each. */
export function joinedTargets(ctx: ExecdContext): JoinedTarget[] {
  const found: JoinedTarget[] = [];
  for (const s of stockScripts.values()) {
    const program = `active-response/bin/${s.name}`;
    const script = ctx.inProcessScript?.(program);
    if (script?.reapplyJoined !== undefined && script.batch !== undefined && script.stateful) {
      found.push({ set: { program, keyPrefix: `${programName(program)}-` }, script });
    }
  }
  return found;
}

/**
 * A start on the same boot: nothing is re-applied (the OS still holds the responses), but each
 * target's responses in force in `scope` go to its script's adopt form (StockScript.adoptJoined),
 * so that a backend finding its state lost later (an nftables table removed by a firewall reload)
 * puts them back with what this process applies. Without it, only the latter came back. Resolves
 * as reapplyJoined does when it re-applies nothing.
 */
export async function adoptJoined(
  ctx: ExecdContext,
  scope: ReapplyScope,
  targets: readonly JoinedTarget[],
): Promise<{ taken: JoinedReapplySet[]; count: number }> {
  for (const { set, script } of targets) {
    const adopt = script.adoptJoined;
    if (adopt === undefined) {
      continue;
    }
    const { count, keys } = ctx.store.joinedReapplyKeys(scope, set);
    if (count > 0) {
      await adopt({ keys, count });
    }
  }
  return { taken: [], count: 0 };
}

/** What one set's re-apply came to: 'not-taken' when its form refused the key text. */
type Acted = KeyFailure[] | 'timeout' | 'not-taken';

/**
 * Re-applies the responses of each target in `scope` (see the module header). Returns the sets it
 * took and how many responses they held; the others' responses are the keyed path's.
 */
export async function reapplyJoined(
  ctx: ExecdContext,
  scope: ReapplyScope,
  targets: readonly JoinedTarget[],
  hooks: BulkReapplyHooks,
): Promise<{ taken: JoinedReapplySet[]; count: number }> {
  for (const t of targets) {
    t.script.warmUp?.(); // the backend probe runs beside the store read
  }
  const taken: JoinedReapplySet[] = [];
  let count = 0;
  for (const t of targets) {
    const n = await reapplySet(ctx, scope, t, hooks);
    if (n !== undefined) {
      taken.push(t.set);
      count += n;
    }
  }
  return { taken, count };
}

/** One set: how many responses it re-applied (recorded), or undefined when not taken. */
async function reapplySet(
  ctx: ExecdContext,
  scope: ReapplyScope,
  { set, script }: JoinedTarget,
  hooks: BulkReapplyHooks,
): Promise<number | undefined> {
  const { count, keys } = ctx.store.joinedReapplyKeys(scope, set);
  if (count === 0) {
    return 0;
  }
  const host = { home: ctx.home, argv0: set.program, now: () => new Date(ctx.now()) };
  appendArLog(host, `Re-applying ${count} active responses in one batch (${NOTE})`);
  const startedAt = ctx.now();
  const acted = await act(ctx, script, { keys, count }, hooks);
  if (acted === 'not-taken') {
    return undefined;
  }
  const at: [number, number] = [startedAt, ctx.now()];
  const failures = acted === 'timeout' ? [] : acted;
  const end: ExecutionEnd = executionEnd(reapplyOutcome(0, false, '', at), { note: NOTE });
  const ids = ctx.store.recordJoinedReapplies(scope, set, {
    startedAt,
    end: acted === 'timeout' ? executionEnd(reapplyOutcome(null, true, '', at), { note: NOTE }) : end,
    failures: failures.map((f) => ({
      key: `${set.keyPrefix}${f.key}`,
      end: executionEnd(reapplyOutcome(255, false, f.message, at), { note: NOTE }),
    })),
  });
  const failed = acted === 'timeout' ? count : failures.length;
  appendArLog(
    host,
    `Re-applied ${count - failed} active responses${failed > 0 ? `, ${failed} failed` : ''} (${NOTE})`,
  );
  ctx.log.info(
    `Re-applied ${count - failed} active response(s) of ${set.program} in one batch (${NOTE})${failed > 0 ? `; ${failed} failed` : ''}.`,
  );
  for (const id of ids) {
    ctx.onExecution?.(id);
  }
  return ids.length;
}

/** Runs the re-apply form under the execution time limit. */
async function act(
  ctx: ExecdContext,
  script: StockScript,
  { keys, count }: { keys: string; count: number },
  hooks: BulkReapplyHooks,
): Promise<Acted> {
  const form = script.reapplyJoined;
  if (form === undefined) {
    return 'not-taken';
  }
  const abort = new AbortController();
  const run = Promise.resolve(
    runInToolScope({ signal: abort.signal }, () =>
      form({
        keys,
        count,
        home: ctx.home,
        signal: abort.signal,
        started: () => hooks.whileActing?.(),
      }),
    ),
  );
  const acted = await withLimit(run, ctx.limits.execMs);
  if (acted === 'timeout') {
    abort.abort();
    await run.catch(() => undefined); // the next work starts only once this OS work has settled
    return 'timeout';
  }
  return acted ?? 'not-taken';
}
