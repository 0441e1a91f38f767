/**
 * What an operator-started response (Wazuh's `PUT /active-response`, `riposte ar run`) must pass
 * before it is sent, like an alert's responses (issue 13.6):
 * - no target address is a never-block address (never-block.ts; the manager adds its own);
 * - no target address is covered by `<global><white_list>` (Wazuh's API skips the white list;
 *   Riposte does not: a white-listed address is as protected from an operator's typo as from an
 *   alert);
 * - a stateless run (`!firewall-drop`, or an AR name with timeout 0) of a stock script that
 *   blocks or disables something is refused: it would never be listed in `/active-responses`,
 *   so nothing could revert it. An AR with a timeout is listed and revertible.
 *
 * - arguments cannot widen a stock script's safety options (quarantine's `--allow` roots come
 *   from the configuration only; issue 13.8).
 *
 * Pure: no I/O.
 */
import type { WhiteList } from '../config-model.js';
import type { JsonValue } from '../../protocol/json.js';
import { alertTargets, protectedTarget, type ProtectedAddresses } from './never-block.js';
import { whiteListMatch } from './white-list-check.js';

/** Stock scripts whose add blocks or disables something and whose delete undoes it. */
export const REVERTIBLE_STOCK_SCRIPTS: ReadonlySet<string> = new Set([
  'firewall-drop',
  'firewalld-drop',
  'host-deny',
  'route-null',
  'ipfw',
  'pf',
  'npf',
  'disable-account',
  'quarantine',
]);

/**
 * Options of stock scripts that widen what they may touch: they come from the configuration
 * (ossec.conf `<extra_args>`) only, never from an API caller (issue 13.8).
 */
export const SAFETY_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  quarantine: ['--allow'],
};

export interface GuardInput {
  /** AR name ("firewall-drop600") or "!script". */
  readonly command: string;
  /** The executable it runs (basename) and its timeout, when known ("!x" runs x, timeout 0). */
  readonly program: string | undefined;
  readonly timeoutSec: number;
  /** The caller's arguments (extra_args of the message). */
  readonly arguments: readonly string[];
  readonly alert: JsonValue | undefined;
  readonly whiteList: WhiteList | undefined;
  readonly protectedAddresses: ProtectedAddresses;
}

/** Why the run is refused, or undefined when it may be sent. */
export function operatorRunRefusal(input: GuardInput): string | undefined {
  const program = input.program?.replace(/\.sh$/, '');
  if (input.timeoutSec === 0 && program !== undefined && REVERTIBLE_STOCK_SCRIPTS.has(program)) {
    return `"${input.command}" runs ${program} with no timeout: it would never be listed in /active-responses nor revertible; run an active response with a timeout instead`;
  }
  // Own properties only: a program named `constructor` or `__proto__` is no key of the table.
  const options =
    program !== undefined && Object.hasOwn(SAFETY_OPTIONS, program) ? SAFETY_OPTIONS[program] : [];
  const widening = (options ?? []).find((o) => input.arguments.some((a) => a === o || a.startsWith(`${o}=`)));
  if (widening !== undefined) {
    return `${program ?? ''}'s ${widening} comes from the configuration only, never from a caller's arguments`;
  }
  return protectedTarget(input.alert, input.protectedAddresses) ?? whiteListed(input);
}

/** The refusal for a white-listed target, or undefined. */
function whiteListed(input: GuardInput): string | undefined {
  if (input.whiteList === undefined) {
    return undefined;
  }
  for (const target of alertTargets(input.alert)) {
    const entry = whiteListMatch(input.whiteList, target);
    if (entry !== undefined) {
      return `${target} is white-listed (${entry})`;
    }
  }
  return undefined;
}
