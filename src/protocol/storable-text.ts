/**
 * Text as both manager stores hold it: valid Unicode without NUL. PostgreSQL's text cannot hold a
 * NUL or a lone UTF-16 surrogate (SQLite can), so each becomes U+FFFD: in what an agent reports
 * (link-records.ts, at receipt, so that the values the manager keeps in memory are the ones its
 * store gives back), and in every parameter of the PostgreSQL store (store/pg-text.ts). Pure.
 */

const REPLACEMENT = '\uFFFD';

/** `s` with each NUL and lone UTF-16 surrogate made U+FFFD; `s` itself when it has neither. */
export function storableText(s: string): string {
  // Native scans: the common case costs two passes and no copy.
  if (s.isWellFormed() && !s.includes('\u0000')) {
    return s;
  }
  return s.toWellFormed().replaceAll('\u0000', REPLACEMENT);
}
