/**
 * `riposte ar revert --all`: one DELETE per active response listed, each on its own, so one key
 * never keeps the others from being reverted.
 *
 * - A key gone by the time its DELETE arrives (it expired, or someone else reverted it, after the
 *   list was read) answers RESPONSE_NOT_FOUND: it is reported as already gone, not as a failure.
 * - Any other failure is reported and the loop goes on; the command then fails at the end, with
 *   the first failure's code (so its exit status, exit-codes.ts), after printing what was queued.
 * - A failure that concerns the manager or the credentials rather than the key (unreachable,
 *   refused) ends the loop: every DELETE left would fail the same way, perhaps each after a
 *   timeout. The keys not tried are counted in the final error.
 */
import { ErrorCode, isRiposteError, RiposteError } from '../../protocol/error-codes.js';
import { errorMessage } from '../../protocol/error-message.js';
import { printable } from '../../protocol/printable.js';

/** An active response to revert: its key on its agent. */
export interface RevertTarget {
  readonly key: string;
  readonly agentId: string;
}

export interface RevertFailure {
  readonly target: RevertTarget;
  readonly error: unknown;
}

/** What `revert --all` did, target by target. `A` is the API's answer to a DELETE. */
export interface RevertAllOutcome<A> {
  /** Answers of the DELETEs that succeeded, in list order. */
  readonly answers: A[];
  /** Targets already gone (RESPONSE_NOT_FOUND). */
  readonly gone: RevertTarget[];
  readonly failed: RevertFailure[];
  /** Targets not tried because a failure ended the loop. */
  readonly notTried: number;
}

/** Codes that say nothing about the key: the next DELETE would fail the same way. */
const ENDS_LOOP: ReadonlySet<string> = new Set([
  ErrorCode.DAEMON_UNREACHABLE,
  ErrorCode.AUTH_REQUIRED,
  ErrorCode.AUTH_FORBIDDEN,
]);

const codeOf = (err: unknown): string | undefined => (isRiposteError(err) ? err.code : undefined);

/** Reverts each target in turn with `revertOne`; never throws (each failure is in the outcome). */
export async function revertEach<A>(
  targets: readonly RevertTarget[],
  revertOne: (t: RevertTarget) => Promise<A>,
): Promise<RevertAllOutcome<A>> {
  const outcome: RevertAllOutcome<A> = { answers: [], gone: [], failed: [], notTried: 0 };
  for (const [i, t] of targets.entries()) {
    try {
      outcome.answers.push(await revertOne(t));
    } catch (error: unknown) {
      if (codeOf(error) === ErrorCode.RESPONSE_NOT_FOUND) {
        outcome.gone.push(t);
        continue;
      }
      outcome.failed.push({ target: t, error });
      if (ENDS_LOOP.has(codeOf(error) ?? '')) {
        return { ...outcome, notTried: targets.length - i - 1 };
      }
    }
  }
  return outcome;
}

const where = (t: RevertTarget): string => `"${t.key}" on agent ${t.agentId}`;

/** One line per target already gone and per failure (for stderr); '' when there is none. */
export function revertAllNotes(o: RevertAllOutcome<unknown>): string {
  const gone = o.gone.map((t) => `Already gone (expired or reverted meanwhile): ${where(t)}`);
  const failed = o.failed.map((f) => `Cannot revert ${where(f.target)}: ${errorMessage(f.error)}`);
  // Keys come from outside (a user name a script announced from an attacker's log line).
  return [...gone, ...failed].map((l) => `${printable(l)}\n`).join('');
}

/**
 * The error `revert --all` ends with: undefined when nothing really failed, else one carrying the
 * first failure's code (INTERNAL for a value that has none) and the counts.
 */
export function revertAllError(o: RevertAllOutcome<unknown>): RiposteError | undefined {
  const first = o.failed[0];
  if (first === undefined) {
    return undefined;
  }
  const code = isRiposteError(first.error) ? first.error.code : ErrorCode.INTERNAL;
  const total = o.answers.length + o.gone.length + o.failed.length + o.notTried;
  const counts = [
    `${o.answers.length} queued`,
    `${o.gone.length} already gone`,
    ...(o.notTried > 0 ? [`${o.notTried} not tried`] : []),
  ].join(', ');
  return new RiposteError(
    code,
    `Cannot revert ${o.failed.length} of ${total} active responses (${counts}); first: ${where(first.target)}: ${errorMessage(first.error)}`,
  );
}
