/**
 * notify's `extra_args`, parsed and checked before anything is sent.
 *
 *   <url>               required: the first item starting with `http://` or `https://`
 *   --format slack|json optional: `slack` (Wazuh's wazuh-slack payload) or `json` (the alert as is);
 *                       default `slack` for hooks.slack.com URLs, else `json`
 *   --timeout <dur>     optional: whole-request time limit, `500ms`, `5s`, `1m` or bare seconds;
 *                       default 5 s, at most 60 s (execd waits for the script)
 *
 * Anything else is an error, so a typo fails loudly instead of being posted somewhere unexpected.
 * Pure.
 */

export type NotifyFormat = 'slack' | 'json';

export interface NotifyOptions {
  readonly url: URL;
  readonly format: NotifyFormat;
  /** Whole-request limit in milliseconds. @default 5000 */
  readonly timeoutMs: number;
}

export type NotifyOptionsResult = { ok: true; options: NotifyOptions } | { ok: false; error: string };

export const DEFAULT_TIMEOUT_MS = 5000;
export const MAX_TIMEOUT_MS = 60_000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, '': 1000 };

/** `500ms`, `5s`, `1m`, `5` (seconds) -> milliseconds; undefined when malformed, zero or above the cap. */
export function parseTimeout(text: string): number | undefined {
  const m = /^(\d{1,6})(ms|s|m|)$/.exec(text);
  const unit = m === null ? undefined : UNIT_MS[m[2] ?? ''];
  if (m === null || unit === undefined) {
    return undefined;
  }
  const ms = Number(m[1]) * unit;
  return ms > 0 && ms <= MAX_TIMEOUT_MS ? ms : undefined;
}

function parseUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

interface Draft {
  url?: URL;
  format?: NotifyFormat;
  timeoutMs?: number;
}

/** Applies one option with its value to the draft; returns an error message or undefined. */
function applyOption(draft: Draft, name: string, value: string | undefined): string | undefined {
  if (value === undefined) {
    return `option ${name} needs a value`;
  }
  if (name === '--format') {
    if (value !== 'slack' && value !== 'json') {
      return `--format must be slack or json, not '${value}'`;
    }
    draft.format = value;
    return undefined;
  }
  const ms = parseTimeout(value);
  if (ms === undefined) {
    return `--timeout must be a duration up to 60s, not '${value}'`;
  }
  draft.timeoutMs = ms;
  return undefined;
}

function applyArg(draft: Draft, arg: string, next: string | undefined): string | undefined {
  if (arg === '--format' || arg === '--timeout') {
    return applyOption(draft, arg, next);
  }
  if (/^https?:\/\//i.test(arg) && draft.url === undefined) {
    const url = parseUrl(arg);
    if (url === undefined) {
      return 'invalid URL';
    }
    draft.url = url;
    return undefined;
  }
  return `unexpected argument '${arg.slice(0, 64)}'`;
}

/** Parses the extra_args items (already split on spaces by the manager). */
export function parseNotifyOptions(args: readonly string[]): NotifyOptionsResult {
  const draft: Draft = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const isOption = arg === '--format' || arg === '--timeout';
    const error = applyArg(draft, arg, isOption ? args[i + 1] : undefined);
    if (error !== undefined) {
      return { ok: false, error };
    }
    i += isOption ? 1 : 0;
  }
  if (draft.url === undefined) {
    return { ok: false, error: 'no http:// or https:// URL' };
  }
  const format = draft.format ?? (draft.url.hostname === 'hooks.slack.com' ? 'slack' : 'json');
  return { ok: true, options: { url: draft.url, format, timeoutMs: draft.timeoutMs ?? DEFAULT_TIMEOUT_MS } };
}
