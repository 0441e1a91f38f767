/**
 * execd's command table backed by `<home>/etc/shared/ar.conf` (reference §2.2): parsed with the
 * pure parser in core/ar-conf.ts; re-read on a lookup miss, as Wazuh does, and also whenever the
 * file's mtime or size changed (Wazuh only re-reads on a miss, so a changed timeout for a known
 * name was ignored until restart: reference §8.12). The file is stat'ed at most once per
 * event-loop turn (a burst of messages read in one turn costs one stat; a change counts from the
 * next turn).
 *
 * An enrolled agent (`fromManager`) gets the file from its manager in the link's welcome, so right
 * after enrollment (or after a restart with the file removed) it is absent for a moment: until this
 * process has read the file once, its absence is logged at info once ("not received yet"), then
 * at debug. Once read, a missing file is Wazuh's (1103) error again. Without a manager (the file is
 * the operator's) it is always the error.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AR_BIN_DIR, AR_CONF_PATH, lookupCommand, parseArConf, type ArConfTable } from '../core/ar-conf.js';
import type { CommandResolver, ResolvedCommand } from './command-resolver.js';
import type { DaemonLog } from '../log/daemon-log.js';

export class ArConfResolver implements CommandResolver {
  private table: ArConfTable = { entries: [] };
  private stamp = '';
  private reads = 0;
  /** The file was checked for changes in this event-loop turn. */
  private checkedThisTurn = false;
  /** The file was read once by this process (from then on, absent = the 1103 error). */
  private received = false;
  private awaitingLogged = false;

  constructor(
    private readonly home: string,
    private readonly log: DaemonLog,
    private readonly opts: { readonly fromManager?: boolean } = {},
  ) {}

  resolve(name: string): ResolvedCommand {
    this.reloadIfChanged();
    const found = lookupCommand(this.table, name);
    if (found.kind !== 'unknown') {
      return found;
    }
    this.reload();
    return lookupCommand(this.table, name);
  }

  names(): string[] {
    this.reloadIfChanged();
    return this.table.entries.map((e) => e.name);
  }

  /** The file names in active-response/bin (for "did you mean" on an absent executable). */
  private binFiles(): string[] {
    try {
      return readdirSync(join(this.home, AR_BIN_DIR));
    } catch {
      return [];
    }
  }

  private fileStamp(): string {
    try {
      const st = statSync(join(this.home, AR_CONF_PATH));
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return 'absent';
    }
  }

  private reloadIfChanged(): void {
    if (this.checkedThisTurn) {
      return;
    }
    this.checkedThisTurn = true;
    setImmediate(() => {
      this.checkedThisTurn = false;
    }).unref();
    if (this.fileStamp() !== this.stamp) {
      this.reload();
    }
  }

  private logUnreadable(code: string): void {
    if (this.opts.fromManager === true && !this.received && code === 'ENOENT') {
      const msg = `'${AR_CONF_PATH}' not received from the manager yet (its welcome writes it); commands are looked up once it is.`;
      if (this.awaitingLogged) {
        this.log.debug(msg);
      } else {
        this.awaitingLogged = true;
        this.log.info(msg);
      }
      return;
    }
    this.log.error(`(1103): Could not open file '${AR_CONF_PATH}' due to [${code}].`);
  }

  private reload(): void {
    this.stamp = this.fileStamp();
    let text: string;
    try {
      text = readFileSync(join(this.home, AR_CONF_PATH), 'utf8');
    } catch (err: unknown) {
      this.logUnreadable((err as NodeJS.ErrnoException).code ?? 'error');
      this.table = { entries: [] };
      return;
    }
    this.received = true;
    const exists = (rel: string): boolean => {
      try {
        accessSync(join(this.home, rel), constants.R_OK);
        return true;
      } catch {
        return false;
      }
    };
    const firstRead = this.reads++ === 0;
    const parsed = parseArConf(text, exists, { firstRead, binFiles: firstRead ? this.binFiles() : [] });
    for (const l of parsed.logs) {
      this.log[l.level === 'warning' ? 'warn' : l.level](l.message);
    }
    this.table = parsed.table;
  }
}
