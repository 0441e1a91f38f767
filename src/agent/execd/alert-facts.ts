/**
 * The few alert fields an execution record keeps (alert id, rule id, srcip, user), read from an AR
 * message's `parameters.alert`. Missing or odd fields are simply absent: records never fail.
 */
import { getPath, getString, type JsonObject } from '../../protocol/json.js';

export interface AlertFacts {
  readonly alertId: string | undefined;
  readonly ruleId: number | undefined;
  readonly srcip: string | undefined;
  readonly user: string | undefined;
}

function ruleIdOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return value;
  }
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

export function alertFacts(message: JsonObject): AlertFacts {
  const alert = getPath(message, ['parameters', 'alert']);
  return {
    alertId: getString(alert, ['id']),
    ruleId: ruleIdOf(getPath(alert, ['rule', 'id'])),
    srcip: getString(alert, ['data', 'srcip']),
    user: getString(alert, ['data', 'dstuser']),
  };
}
