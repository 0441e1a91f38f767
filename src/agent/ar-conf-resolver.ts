/**
 * execd's command table backed by `<home>/etc/shared/ar.conf` (reference §2.2): parsed with the
 * pure parser in core/ar-conf.ts; re-read on a lookup miss, as Wazuh does, and also whenever the
 * file's mtime or size changed (Wazuh only re-reads on a miss, so a changed timeout for a known
 * name was ignored until restart: reference §8.12). The file is stat'ed at most once per
 * event-loop turn (a burst of messages read in one turn costs one stat; a change counts from the
 * next turn).
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

  constructor(
    private readonly home: string,
    private readonly log: DaemonLog,
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

  private reload(): void {
    this.stamp = this.fileStamp();
    let text: string;
    try {
      text = readFileSync(join(this.home, AR_CONF_PATH), 'utf8');
    } catch (err: unknown) {
      this.log.error(
        `(1103): Could not open file '${AR_CONF_PATH}' due to [${(err as NodeJS.ErrnoException).code ?? 'error'}].`,
      );
      this.table = { entries: [] };
      return;
    }
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
