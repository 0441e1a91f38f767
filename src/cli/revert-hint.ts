/**
 * `riposte ar revert KEY` where KEY names no active response: when it is the end of some active
 * keys (an address given where the key is `firewall-drop-<address>`, or a user name for
 * `disable-account-<user>`), the not-found error names those keys, so the operator does not have
 * to read `ar list` to find what to type. Nothing is reverted on a guess. Pure.
 */
import { ErrorCode, isRiposteError, RiposteError } from '../protocol/error-codes.js';

/** Keys named in the hint at most. */
const MAX_HINTS = 5;

export interface ActiveKey {
  readonly key: string;
  readonly agentId: string;
}

/** True for the API's "no such active response" error. */
export function isResponseNotFound(err: unknown): err is RiposteError {
  return isRiposteError(err) && err.code === ErrorCode.RESPONSE_NOT_FOUND;
}

/** `err` with the keys that end in `-<given>` named; `err` itself when there are none. */
export function withKeyHint(err: RiposteError, given: string, actives: readonly ActiveKey[]): RiposteError {
  const tail = `-${given}`;
  const keys = actives.filter((a) => a.key.endsWith(tail)).map((a) => `${a.key} (agent ${a.agentId})`);
  if (keys.length === 0) {
    return err;
  }
  const shown = keys.slice(0, MAX_HINTS).join(', ');
  const more = keys.length > MAX_HINTS ? ` and ${keys.length - MAX_HINTS} more` : '';
  return new RiposteError(err.code, `${err.message}; did you mean ${shown}${more}?`, err.details, {
    cause: err,
  });
}
