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

export function alertFacts(message: JsonObject): AlertFacts {
  const alert = getPath(message, ['parameters', 'alert']);
  return {
    alertId: getString(alert, ['id']),
    ruleId: parseRuleId(getPath(alert, ['rule', 'id'])),
    srcip: getString(alert, ['data', 'srcip']),
    user: getString(alert, ['data', 'dstuser']),
  };
}
