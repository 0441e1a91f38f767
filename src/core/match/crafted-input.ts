/**
 * analysisd's "possible logging attack" checks (reference §3.4, at fire time): an alert whose
 * `data.dstuser` or `data.srcip` contains characters outside a small safe set triggers no active
 * response at all. dstuser is checked first (warning 1272), then srcip (1271), as in Wazuh.
 *
 * The character sets are Wazuh's exactly; note that they accept the empty string and that the srcip
 * set accepts non-addresses such as hostnames (scripts validate further).
 *
 * Pure: no I/O.
 */
import type { AlertView } from '../../protocol/alert.js';
import { quoteValue } from './quote-value.js';

/** `^[a-zA-Z._0-9@?-]*$` (Wazuh's username check). */
export const SAFE_DSTUSER = /^[a-zA-Z._0-9@?-]*$/;
/** `^[a-zA-Z.:_0-9-]*$` (Wazuh's IP check). */
const SAFE_SRCIP = /^[a-zA-Z.:_0-9-]*$/;

export interface CraftedInputFinding {
  /** Wazuh's warning number: 1272 invalid username, 1271 invalid IP address. */
  readonly warning: 1271 | 1272;
  readonly code: 'invalid-dstuser' | 'invalid-srcip';
  /** Wazuh's warning text with the value quoted and capped, e.g. `invalid srcip "1.2.3.4;id" (1271 ...)`. */
  readonly reason: string;
}

/** The first failed check, or undefined when the alert is safe to act on. */
export function checkCraftedInput(alert: AlertView): CraftedInputFinding | undefined {
  if (alert.dstuser !== undefined && !SAFE_DSTUSER.test(alert.dstuser)) {
    return {
      warning: 1272,
      code: 'invalid-dstuser',
      reason: `invalid dstuser ${quoteValue(alert.dstuser)} (1272: possible logging attack)`,
    };
  }
  if (alert.srcip !== undefined && !SAFE_SRCIP.test(alert.srcip)) {
    return {
      warning: 1271,
      code: 'invalid-srcip',
      reason: `invalid srcip ${quoteValue(alert.srcip)} (1271: possible logging attack)`,
    };
  }
  return undefined;
}

/**
 * analysisd's warning for an alert whose bound responses a crafted value stopped, its value quoted
 * and capped: `(1271): Invalid IP Address "1.2.3.4;id". Possible logging attack.` (Wazuh writes
 * the value raw in single quotes). Undefined when `code` is not a crafted-input veto.
 */
export function craftedInputWarning(alert: AlertView, code: string): string | undefined {
  if (code === 'invalid-dstuser') {
    return `(1272): Invalid username ${quoteValue(alert.dstuser ?? '')}. Possible logging attack.`;
  }
  if (code === 'invalid-srcip') {
    return `(1271): Invalid IP Address ${quoteValue(alert.srcip ?? '')}. Possible logging attack.`;
  }
  return undefined;
}
