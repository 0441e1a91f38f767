/**
 * What a store URL may say about its password, and how it is shown. A password written in a
 * daemon's command line is readable by every user of the host (`ps`, `/proc/PID/cmdline`,
 * `systemctl status` show argv to anyone; a process's environment is readable by its own user and
 * root only), so the CLI warns when a `postgres://` URL carries one and points to `PGPASSWORD` or
 * `~/.pgpass`, which `pg` reads when the URL has none (docs/scale-out.md, "Store").
 */

/** `url` with any password (user:PASSWORD@ or ?password=) replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@').replace(/(password=)[^&]*/gi, '$1***');
}

/** True when `url` carries a password (in its user part or as a `password` parameter). */
export function urlHasPassword(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUrl(url) !== url;
  }
  return (
    parsed.password !== '' || [...parsed.searchParams.keys()].some((k) => k.toLowerCase() === 'password')
  );
}

/**
 * The warning for `flag`'s URL when it carries a password, or undefined. Never contains the
 * password.
 */
export function passwordInArgvWarning(flag: string, url: string): string | undefined {
  if (!urlHasPassword(url)) {
    return undefined;
  }
  return (
    `${flag}: this URL holds a password (${redactUrl(url)}), and every user of this host can read ` +
    "a process's command line (ps, /proc/PID/cmdline, systemctl status): leave it out of the URL " +
    'and put it in PGPASSWORD or ~/.pgpass (docs/scale-out.md, "Store")'
  );
}
