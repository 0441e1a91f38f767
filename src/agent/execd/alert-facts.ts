/**
 * The few alert fields an execution record keeps (alert id, rule id, srcip, user), read from an AR
 * message's `parameters.alert`. Missing or odd fields are simply absent: records never fail.
 */
import { parseRuleId } from '../../protocol/alert.js';
import { getPath, getString, type JsonObject } from '../../protocol/json.js';

export interface AlertFacts {
  readonly alertId: string | undefined;
  readonly ruleId: number | undefined;
  readonly srcip: string | undefined;
  readonly user: string | undefined;
}

// The paths, built once: read for every execution of a burst.
const ALERT = ['parameters', 'alert'] as const;
const ID = ['id'] as const;
const RULE_ID = ['rule', 'id'] as const;
const SRCIP = ['data', 'srcip'] as const;
const DSTUSER = ['data', 'dstuser'] as const;

export function alertFacts(message: JsonObject): AlertFacts {
  const alert = getPath(message, ALERT);
  return {
    alertId: getString(alert, ID),
    ruleId: parseRuleId(getPath(alert, RULE_ID)),
    srcip: getString(alert, SRCIP),
    user: getString(alert, DSTUSER),
  };
}
