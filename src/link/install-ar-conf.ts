/**
 * Writes the manager's ar.conf to `<home>/etc/shared/ar.conf` when it differs (atomic: temp file
 * then rename), the way Wazuh agents receive the manager's shared configuration. execd's resolver
 * notices the change by the file's stamp and reloads it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AR_CONF_PATH } from '../core/ar-conf.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { errorMessage } from '../protocol/error-message.js';

/**
 * Returns true when the file was (re)written.
 * @throws when it cannot be written (a full disk, say): the file in place is left as it was, and
 * no temp file is left behind
 */
export function installArConf(home: string, text: string): boolean {
  const file = join(home, AR_CONF_PATH);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) {
    return false;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode: 0o640 });
    renameSync(tmp, file);
  } catch (err: unknown) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return true;
}

/**
 * Installs the manager's ar.conf with `install`; when it cannot (a full disk, say) the agent goes
 * on with the one it has, and says so: the rest of the welcome (reports, acks) must not be lost
 * with it.
 */
export function installOrKeep(
  install: (text: string) => void,
  log: Pick<DaemonLog, 'error'>,
  text: string,
): void {
  try {
    install(text);
  } catch (err: unknown) {
    const why = errorMessage(err);
    log.error(`Could not install the manager's ar.conf (${why}): keeping the one in place.`);
  }
}
