/**
 * Outside text made safe to show: on a terminal, in a log line read with `tail` or `less`, in an
 * error. Pure.
 */

/**
 * Characters a terminal may act on instead of printing: C0 controls (ESC starts the sequences that
 * recolour, retitle, hide text or write the clipboard), DEL, C1 controls, and the Unicode marks that
 * reorder what follows (bidirectional overrides and isolates, "Trojan Source").
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` safe to print on a terminal: each character of {@link UNPRINTABLE} written as an escape
 * (`\x1b`, `\u{202e}`). Such text comes from outside: keys a custom script announced (a user name
 * from an attacker's log line), agents' notes and reasons, scripts' stderr, alert lines.
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
