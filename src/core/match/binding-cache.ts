/**
 * Which AR rules bind to an alert's rule, memoised per config. Wazuh computes the binding once per
 * rule at load (`Rule_AddAR`); Riposte sees only alerts, but the binding depends on nothing else than
 * (rule id, rule level, group string), so it is cached under that key: alerts from the same rule
 * reuse the answer instead of re-running up to one regex per AR rule.
 *
 * Pure in behaviour: the cache only stores results of the pure `ruleBinds`, so the answers are the
 * same with or without it. It is bounded ({@link BINDING_CACHE_MAX}; cleared when full, so a flood of
 * unique group strings costs memory once, not forever) and keyed weakly by the Config object.
 */
import type { AlertView } from '../../protocol/alert.js';
import type { Config } from '../../config/config.js';
import { ruleBinds } from './rule-binding.js';

/** Entries kept per config before the cache is cleared. */
export const BINDING_CACHE_MAX = 10_000;

const caches = new WeakMap<Config, Map<string, readonly number[]>>();

/** Indices (in `config.rules`) of the enabled rules that bind, in config order; uncached. */
export function computeBoundRules(alert: AlertView, config: Config): number[] {
  const out: number[] = [];
  config.rules.forEach((rule, i) => {
    if (!rule.disabled && ruleBinds(rule, alert)) {
      out.push(i);
    }
  });
  return out;
}

/** {@link computeBoundRules}, memoised per (config, rule id, level, group string). */
export function boundRules(alert: AlertView, config: Config): readonly number[] {
  let cache = caches.get(config);
  if (cache === undefined) {
    cache = new Map();
    caches.set(config, cache);
  }
  const key = `${alert.ruleId}|${alert.level}|${alert.groupString}`;
  let bound = cache.get(key);
  if (bound === undefined) {
    bound = computeBoundRules(alert, config);
    if (cache.size >= BINDING_CACHE_MAX) {
      cache.clear();
    }
    cache.set(key, bound);
  }
  return bound;
}
