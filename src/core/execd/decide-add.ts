/**
 * The execd decision for one `add` once its script has announced its keys (reference §2.3), pure.
 *
 * Outcomes, as values (style rule 5):
 *  - untracked: the AR timeout is 0, so the answer is `continue` and nothing is stored;
 *  - started:   no active response with this rkey, so `continue` and a new active response;
 *  - extended:  one is active, so `abort`; its addedAt/timeout are refreshed (Wazuh resets
 *               time_of_addition and time_to_block) but its stored `delete` keeps the first alert;
 *  - superseded: a revert order of this key created after this add's order already ran (several
 *               manager nodes: the add came late), so `abort` and nothing changes, whether the key
 *               is active or not (agent/execd/later-reverts.ts). Not in Wazuh, whose manager
 *               sends every order at once over one link.
 */
import type { ActiveResponse } from '../../protocol/execution-records.js';

export type AddDecision =
  | { readonly kind: 'untracked'; readonly answer: 'continue' }
  | { readonly kind: 'started'; readonly answer: 'continue'; readonly active: ActiveResponse }
  | { readonly kind: 'extended'; readonly answer: 'abort'; readonly active: ActiveResponse }
  | { readonly kind: 'superseded'; readonly answer: 'abort'; readonly revertSeq: number };

/** What is known about the add being decided. */
export interface AddRequest {
  readonly key: string;
  readonly arName: string;
  readonly program: string;
  readonly agentId: string;
  /** Seconds after the repeated-offender adjustment; 0 = stateless. */
  readonly timeoutSec: number;
  readonly addMessage: string;
  readonly deleteMessage: string;
  readonly alertId: string | undefined;
  readonly ruleId: number | undefined;
  readonly srcip: string | undefined;
  readonly user: string | undefined;
}

/**
 * `revertedBy`: the seq of a revert order of this key created after this add's order and already
 * run, if any. An argument, not a field of `req`: a request copied by a spread to carry it cost the
 * agent ~7 % more CPU in a 10,000-order burst, this function 2 ms -> 30-50 ms of it (BENCHMARKS.md,
 * manager-link, 2026-12-04).
 */
export function decideAdd(
  req: AddRequest,
  existing: ActiveResponse | undefined,
  now: number,
  revertedBy?: number,
): AddDecision {
  if (revertedBy !== undefined) {
    return { kind: 'superseded', answer: 'abort', revertSeq: revertedBy };
  }
  if (req.timeoutSec === 0) {
    return { kind: 'untracked', answer: 'continue' };
  }
  const expiresAt = now + req.timeoutSec * 1000;
  if (existing) {
    return {
      kind: 'extended',
      answer: 'abort',
      active: {
        ...existing,
        addedAt: now,
        timeoutSec: req.timeoutSec,
        expiresAt,
        repeatCount: existing.repeatCount + 1,
      },
    };
  }
  const active: ActiveResponse = {
    key: req.key,
    arName: req.arName,
    program: req.program,
    deleteMessage: req.deleteMessage,
    addMessage: req.addMessage,
    agentId: req.agentId,
    createdAt: now,
    addedAt: now,
    timeoutSec: req.timeoutSec,
    expiresAt,
    repeatCount: 1,
    alertId: req.alertId,
    ruleId: req.ruleId,
    srcip: req.srcip,
    user: req.user,
  };
  return { kind: 'started', answer: 'continue', active };
}

/** The active response a decision writes (started, extended); none when it writes nothing. */
export function decidedActive(decision: AddDecision): ActiveResponse | undefined {
  return decision.kind === 'started' || decision.kind === 'extended' ? decision.active : undefined;
}
