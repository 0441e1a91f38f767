/**
 * What the planner (plan-responses.ts) decides for one (alert, AR rule) pair. Plain data read by
 * the manager's dispatch and by `riposte explain`.
 *
 * Pure types: no I/O.
 */
import type { ArEnvelope } from '../../protocol/ar-message.js';
import type { ArRule } from '../config-model.js';

/** An agent the manager knows about; `active` = connected now (Wazuh's `connection_status = active`). */
export interface KnownAgent {
  /** Three-digit (or longer) id as Wazuh writes it: "001"; "000" is the manager. */
  readonly id: string;
  readonly active: boolean;
}

/**
 * Why a rule fires or not, as a stable code (the human text is in `RuleDecision.reason`).
 * Checks run in Wazuh's order: disabled, binding (level 0, criteria), dstuser (1272), srcip (1271),
 * white list, targets.
 */
export type DecisionCode =
  | 'fires'
  | 'disabled'
  | 'alert-level-zero'
  | 'no-criteria'
  | 'not-matched'
  | 'invalid-dstuser'
  | 'invalid-srcip'
  | 'white-listed'
  | 'no-targets';

/** The verdict for one AR rule, one per rule in config order. */
export interface RuleDecision {
  /** Position of the rule in `Config.rules`. */
  readonly ruleIndex: number;
  readonly rule: ArRule;
  readonly fires: boolean;
  readonly code: DecisionCode;
  /** One line of English saying why, e.g. "level 3 < 10"; values from the alert are quoted and capped. */
  readonly reason: string;
  /** Agent ids the message goes to ("000" = the manager's own execd); empty when it does not fire. */
  readonly targets: readonly string[];
  /** The message analysisd would build; undefined when it does not fire. */
  readonly message: ArEnvelope | undefined;
}
