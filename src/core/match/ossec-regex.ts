/**
 * Wazuh's two small pattern languages, compiled to JavaScript matchers (pure).
 *
 * - OS_Regex (used by `<rules_group>`): case-insensitive, unanchored (substring) unless `^`/`$`;
 *   `|` alternation; `(...)` groups; classes `\w` (letters, digits, `-@_`), `\d`, `\s` (space),
 *   `\t` (tab), `\p` (punctuation), their negations `\W \D \S`, and `\.` (any character); `+`/`*`
 *   only after a class; escapes `\$ \( \) \\ \| \<`. Every other character is literal, including a
 *   bare `.`, `+`, `*`, `[`. Like Wazuh's OSRegex_Compile, these do not compile: any other escape
 *   (`\>`, `\!`, `\q`...), a trailing `\`, unbalanced or nested parentheses, and `|` inside
 *   parentheses. `^`/`$` anchor only at the start/end of a `|` alternative, never inside `(...)`.
 * - OSMatch (used by `<white_list>` hostname patterns): case-insensitive substring with `^`, `$` and
 *   `|` only.
 */
import type { GroupMatcher } from '../config-model.js';

/** A pattern that does not compile. `reason` is a short phrase for the config error message. */
export type PatternResult =
  { readonly ok: true; readonly matcher: GroupMatcher } | { readonly ok: false; readonly reason: string };

const CLASSES: Readonly<Record<string, string>> = {
  w: '[A-Za-z0-9@_-]',
  W: '[^A-Za-z0-9@_-]',
  d: '[0-9]',
  D: '[^0-9]',
  s: ' ',
  S: '[^ ]',
  t: '\\t',
  p: '[()*+,\\-.:;<=>?\\[\\]!"\'#$%&|{}]',
  '.': '[\\s\\S]',
};

const LITERAL_ESCAPES = new Set(['$', '(', ')', '\\', '|', '<']);

function escapeLiteral(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function matcherFrom(source: string, re: RegExp): GroupMatcher {
  return { source, test: (text: string): boolean => re.test(text) };
}

/**
 * What Wazuh's OS_Regex does with a pattern that failed to compile: it matches nothing. A block
 * whose `rules_group` does not compile therefore loads and never binds through its group.
 */
export function neverMatches(source: string): GroupMatcher {
  return { source, test: (): boolean => false };
}

/** Translates one `\x` escape at `pattern[i]` (the backslash); returns JS text and characters used. */
function translateEscape(pattern: string, i: number): { js: string; used: number } | string {
  const c = pattern[i + 1];
  if (c === undefined) {
    return 'trailing backslash';
  }
  const cls = CLASSES[c];
  if (cls !== undefined) {
    const mod = pattern[i + 2];
    return mod === '+' || mod === '*' ? { js: cls + mod, used: 3 } : { js: cls, used: 2 };
  }
  return LITERAL_ESCAPES.has(c) ? { js: escapeLiteral(c), used: 2 } : `unknown escape '\\${c}'`;
}

/** True when position `i` ends an alternative (pattern end or before `|`). */
function atAlternativeEnd(pattern: string, i: number): boolean {
  const next = pattern[i + 1];
  return next === undefined || next === '|';
}

/** Parser state: open parentheses, and whether the next character starts an alternative. */
interface State {
  depth: number;
  altStart: boolean;
}

/** Translates one unescaped character; returns the JS text or an error, updating `st.depth`. */
function translatePlain(pattern: string, i: number, st: State): string | { error: string } {
  const c = pattern[i] ?? '';
  switch (c) {
    case '|':
      return st.depth > 0 ? { error: "'|' inside parentheses" } : '|';
    case '(':
      st.depth++;
      return st.depth > 1 ? { error: 'nested parentheses' } : '(?:';
    case ')':
      st.depth--;
      return st.depth < 0 ? { error: "unbalanced ')'" } : ')';
    case '^':
      return st.altStart ? '^' : '\\^';
    case '$':
      return atAlternativeEnd(pattern, i) ? '$' : '\\$';
    default:
      return escapeLiteral(c);
  }
}

/** An alternative's JS text, and whether it has more than its `^`/`$` anchors. */
interface Alternative {
  js: string;
  hasBody: boolean;
}

/**
 * Compiles an OS_Regex pattern (see module doc) into a case-insensitive matcher. An alternative
 * that is empty once its anchors are set aside (`web|`, `|web`, `a||b`, `^`, `$`) matches nothing,
 * as in Wazuh's _OS_Regex (an empty sub-pattern returns no match at once); in a JavaScript regex
 * it would match every text. `emptyAlternatives` counts them (the config warns: a typo).
 */
export function compileOsRegex(pattern: string): PatternResult & { readonly emptyAlternatives?: number } {
  let cur: Alternative = { js: '', hasBody: false };
  const alts: Alternative[] = [cur];
  const st: State = { depth: 0, altStart: true };
  for (let i = 0; i < pattern.length;) {
    if (pattern[i] === '\\') {
      const t = translateEscape(pattern, i);
      if (typeof t === 'string') {
        return { ok: false, reason: t };
      }
      cur.js += t.js;
      cur.hasBody = true;
      i += t.used;
      st.altStart = false;
      continue;
    }
    const t = translatePlain(pattern, i, st);
    if (typeof t !== 'string') {
      return { ok: false, reason: t.error };
    }
    if (t === '|') {
      cur = { js: '', hasBody: false };
      alts.push(cur);
    } else {
      cur.js += t;
      cur.hasBody ||= t !== '^' && t !== '$';
    }
    st.altStart = pattern[i] === '|';
    i++;
  }
  if (st.depth !== 0) {
    return { ok: false, reason: "unbalanced '('" };
  }
  const kept = alts.filter((a) => a.hasBody).map((a) => a.js);
  const emptyAlternatives = alts.length - kept.length;
  const matcher =
    kept.length === 0 ? neverMatches(pattern) : matcherFrom(pattern, new RegExp(kept.join('|'), 'i'));
  return { ok: true, matcher, emptyAlternatives };
}

/** Compiles an OSMatch pattern: `|`-separated substrings, each optionally anchored by `^`/`$`. */
export function compileOsMatch(pattern: string): PatternResult {
  const parts = pattern.split('|').map((alt) => {
    const start = alt.startsWith('^');
    const end = alt.length > (start ? 1 : 0) && alt.endsWith('$');
    const body = alt.slice(start ? 1 : 0, end ? -1 : undefined);
    return `${start ? '^' : ''}${escapeLiteral(body)}${end ? '$' : ''}`;
  });
  return { ok: true, matcher: matcherFrom(pattern, new RegExp(parts.join('|'), 'i')) };
}
