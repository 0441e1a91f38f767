/** Plain aligned text tables for CLI output. */

/**
 * Characters a terminal may act on instead of printing: C0 controls (ESC starts the sequences that
 * recolour, retitle, hide text or write the clipboard), DEL, C1 controls, and the Unicode marks that
 * reorder what follows (bidirectional overrides and isolates, "Trojan Source").
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` safe to print on a terminal: each character of {@link UNPRINTABLE} written as an escape
 * (`\x1b`, `\u{202e}`). Table cells hold text from outside: keys a custom script announced (a
 * user name from an attacker's log line), agents' notes and reasons, scripts' stderr.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** `text` with each line made {@link printable}: its line breaks are kept, nothing else acts. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** An aligned table; every cell goes through {@link printable}. */
export function formatTable(header: readonly string[], rawRows: readonly (readonly string[])[]): string {
  const rows = rawRows.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** "1h02m", "5m00s", "42s". */
export function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) {
    return `${h}h${String(m).padStart(2, '0')}m`;
  }
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
