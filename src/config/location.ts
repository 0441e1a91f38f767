/**
 * `<location>` keyword detection (reference §3.3). Each keyword is a case-insensitive *substring*
 * test on the whole value, exactly as Wazuh does, so `local,server` sets two flags and `AS` matches any
 * value containing "as" (e.g. `pasta`). Kept because existing configs rely on the lenient reading.
 */
import type { LocationFlags } from '../core/config-model.js';

const has = (value: string, words: readonly string[]): boolean => words.some((w) => value.includes(w));

/** The keywords as documented (reference §3.3), for messages. */
export const LOCATION_KEYWORDS = [
  'local',
  'server',
  'defined-agent',
  'all',
  'analysis-server',
  'analysisd',
  'AS',
  'any',
];

/** Words of a location value (split at commas, spaces and `|`) that are not keywords themselves. */
export function unknownLocationWords(value: string): string[] {
  const known = new Set(LOCATION_KEYWORDS.map((k) => k.toLowerCase()));
  return value.split(/[\s,|]+/).filter((w) => w !== '' && !known.has(w.toLowerCase()));
}

/** The flags a location value sets; undefined when it sets none (Wazuh's error 1302). */
export function parseLocation(value: string): LocationFlags | undefined {
  const v = value.toLowerCase();
  const flags: LocationFlags = {
    server: has(v, ['as', 'analysisd', 'analysis-server', 'server']),
    local: has(v, ['local']),
    definedAgent: has(v, ['defined-agent']),
    all: has(v, ['all', 'any']),
  };
  return flags.server || flags.local || flags.definedAgent || flags.all ? flags : undefined;
}
