/**
 * UID_MIN from /etc/login.defs: the lowest uid of an ordinary (human) account. Accounts below it
 * are system accounts (postgres, www-data, redis...), which disable-account never touches.
 *
 * Read as shadow-utils' getdef.c reads it: blank and `#` lines are skipped; the name ends at the
 * first blank; the value starts after blanks and double quotes and ends at a quote; the last
 * definition wins. The value is a whole unsigned number in strtoul base 0 (decimal, `0x` hex,
 * leading-0 octal). A missing or unreadable file, no UID_MIN line or an unparsable value give
 * 1000, the default useradd uses (`getdef_ulong("UID_MIN", 1000)`).
 *
 * The path is fixed on purpose, like host-deny's: nothing in the message chooses what is read.
 * Tests run the script in a private mount namespace instead.
 */
import { promises as fs } from 'node:fs';

export const LOGIN_DEFS_PATH = '/etc/login.defs';

/** shadow-utils' UID_MIN when login.defs does not give one. */
export const DEFAULT_UID_MIN = 1000;

/** A strtoul base-0 number that is the whole text, else undefined. */
function unsignedBase0(text: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) {
    return Number.parseInt(text.slice(2), 16);
  }
  if (/^0[0-7]*$/.test(text)) {
    return Number.parseInt(text, 8);
  }
  return /^[1-9]\d*$/.test(text) ? Number(text) : undefined;
}

/** The value of the last `UID_MIN` line of login.defs `text` (getdef.c's def_load), if any. */
function lastUidMinValue(text: string): string | undefined {
  let value: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const name = /^[^ \t]+/.exec(line)?.[0];
    if (name !== 'UID_MIN' || line.length === name.length) {
      continue;
    }
    const rest = line.slice(name.length).replace(/^[ \t"]+/, '');
    value = rest.split('"')[0] ?? '';
  }
  return value;
}

/** UID_MIN of login.defs `text`; {@link DEFAULT_UID_MIN} when absent or unparsable. Pure. */
export function uidMinOf(text: string): number {
  const value = lastUidMinValue(text);
  return (value === undefined ? undefined : unsignedBase0(value)) ?? DEFAULT_UID_MIN;
}

/** UID_MIN of {@link LOGIN_DEFS_PATH}; {@link DEFAULT_UID_MIN} when unreadable. Never throws. */
export async function readUidMin(): Promise<number> {
  try {
    return uidMinOf(await fs.readFile(LOGIN_DEFS_PATH, 'utf8'));
  } catch {
    return DEFAULT_UID_MIN;
  }
}
