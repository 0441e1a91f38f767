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
import type { Config } from '../config-model.js';
import { ruleBinds } from './rule-binding.js';

/** Entries kept per config before the cache is cleared. */
export const BINDING_CACHE_MAX = 10_000;

interface Entry {
  readonly level: number;
  readonly groupString: string;
  readonly bound: readonly number[];
}

/** Per config: rule id -> the (level, group string) variants seen, usually one. */
interface Cache {
  readonly byRuleId: Map<number, Entry[]>;
  size: number;
}

const caches = new WeakMap<Config, Cache>();

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

function cacheFor(config: Config): Cache {
  let cache = caches.get(config);
  if (cache === undefined) {
    cache = { byRuleId: new Map(), size: 0 };
    caches.set(config, cache);
  }
  return cache;
}

/**
 * {@link computeBoundRules}, memoised per (config, rule id, level, group string). Keyed by the
 * numeric rule id first so a hit costs one number lookup and one string comparison.
 */
export function boundRules(alert: AlertView, config: Config): readonly number[] {
  const cache = cacheFor(config);
  let entries = cache.byRuleId.get(alert.ruleId);
  for (const e of entries ?? []) {
    if (e.level === alert.level && e.groupString === alert.groupString) {
      return e.bound;
    }
  }
  if (cache.size >= BINDING_CACHE_MAX) {
    cache.byRuleId.clear();
    cache.size = 0;
    entries = undefined;
  }
  const bound = computeBoundRules(alert, config);
  const entry = { level: alert.level, groupString: alert.groupString, bound };
  if (entries) {
    entries.push(entry);
  } else {
    cache.byRuleId.set(alert.ruleId, [entry]);
  }
  cache.size++;
  return bound;
}
