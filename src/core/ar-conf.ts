/**
 * `etc/shared/ar.conf`: the table the manager writes and every agent's execd reads to turn an AR name
 * (`firewall-drop600`) into an executable and a timeout (reference §2.2, §3.5). Pure: file existence
 * is asked through a callback, and log lines are returned, not written.
 */
import type { Config } from './config-model.js';
import { atoi } from './c-atoi.js';
import { didYouMean } from './suggest.js';

/** Directory of response executables, relative to the install dir. */
export const AR_BIN_DIR = 'active-response/bin';
/** ar.conf as execd reads it, relative to the install dir (used in its error messages). */
export const AR_CONF_PATH = 'etc/shared/ar.conf';
/** execd's fixed table size (Wazuh does not check it; Riposte ignores further names). */
export const AR_CONF_MAX_ENTRIES = 64;
const NAME_MAX = 255;
const PATH_MAX = 4096;

/** The six lines analysisd always writes first; the duplicates resolve per platform (§2.2). */
export const DEFAULT_AR_CONF_LINES: readonly string[] = [
  'restart-ossec0 - restart-ossec.sh - 0',
  'restart-ossec0 - restart-ossec.cmd - 0',
  'restart-wazuh0 - restart-ossec.sh - 0',
  'restart-wazuh0 - restart-ossec.cmd - 0',
  'restart-wazuh0 - restart-wazuh - 0',
  'restart-wazuh0 - restart-wazuh.exe - 0',
];

/** ar.conf text for a manager config: the default lines, then one line per enabled AR rule. */
export function renderArConf(config: Config): string {
  const lines = [...DEFAULT_AR_CONF_LINES];
  for (const r of config.rules) {
    if (!r.disabled) {
      lines.push(`${r.arName} - ${r.command.executable} - ${r.timeout}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** One loaded entry. `program` is '' when the executable is absent or was refused. */
export interface ArConfEntry {
  readonly name: string;
  readonly program: string;
  /** When `program` is '' because the executable is absent: the path that was looked for. */
  readonly absent?: string;
  /** Seconds. */
  readonly timeout: number;
}

/** A line for execd's log, with Wazuh's level and wording. */
export interface ArConfLog {
  readonly level: 'error' | 'warning' | 'info' | 'debug';
  readonly message: string;
}

export interface ArConfTable {
  readonly entries: readonly ArConfEntry[];
}

export interface ParseArConfOptions {
  /**
   * The "not present" info line is logged only on the first read of the process (§2.2).
   * @default true
   */
  readonly firstRead?: boolean;
  /** Files in active-response/bin, to suggest a near name for an absent executable. */
  readonly binFiles?: readonly string[];
}

/** Names of the default lines (§2.2): their alternatives are absent by design on any one system. */
const DEFAULT_NAMES: ReadonlySet<string> = new Set(['restart-ossec0', 'restart-wazuh0']);

/** True when a path has a `..` component (Wazuh's parent-folder check). */
function hasParentRef(path: string): boolean {
  return path.split(/[\\/]/).includes('..');
}

const invalidConfig: ArConfLog = {
  level: 'error',
  message: `(1313): Invalid active response config: '${AR_CONF_PATH}'.`,
};

interface LineContext {
  readonly exists: (relPath: string) => boolean;
  readonly firstRead: boolean;
  readonly logs: ArConfLog[];
}

/**
 * The "not present" lines for the names that stayed without a program once every line is read.
 * Riposte differs from Wazuh here (docs/compatibility.md): a default restart name resolved by another
 * line, or absent on this platform, is logged at debug level only (Wazuh logs every absent line, so
 * each start printed three lines for Windows executables); an absent executable of a configured
 * response is a warning, with a near file name when there is one, since its alerts will fail.
 */
function absentLogs(entries: readonly ArConfEntry[], binFiles: readonly string[]): ArConfLog[] {
  return entries.flatMap((e): ArConfLog[] => {
    if (e.absent === undefined || e.program !== '') {
      return [];
    }
    const message = `Active response command not present: '${e.absent}'. Not using it on this system.`;
    if (DEFAULT_NAMES.has(e.name)) {
      return [{ level: 'debug', message }];
    }
    const exe = e.absent.slice(AR_BIN_DIR.length + 1);
    const near = didYouMean(exe, binFiles);
    return [
      {
        level: 'warning',
        message: `${message} Executions of '${e.name}' will be recorded as failed.${near}`,
      },
    ];
  });
}

/** Parses one line into an entry, logging as execd does; undefined when the line is skipped. */
function parseLine(line: string, ctx: LineContext): ArConfEntry | undefined {
  const first = line.indexOf(' - ');
  const second = first < 0 ? -1 : line.indexOf(' - ', first + 3);
  if (line.startsWith('!') || second < 0) {
    ctx.logs.push(invalidConfig);
    return undefined;
  }
  let name = line.slice(0, first);
  if (name.length > NAME_MAX) {
    name = name.slice(0, NAME_MAX);
    ctx.logs.push({ level: 'error', message: `(1318): Command name truncated ${name}` });
  }
  const exe = line.slice(first + 3, second);
  const timeout = atoi(line.slice(second + 3));
  if (hasParentRef(exe)) {
    const message = `Active response command '${exe}' vulnerable to directory traversal attack. Ignoring.`;
    ctx.logs.push({ level: 'error', message });
    return { name, program: '', timeout };
  }
  const program = `${AR_BIN_DIR}/${exe}`;
  if (ctx.exists(program)) {
    return { name, program, timeout };
  }
  return { name, program: '', timeout, absent: program };
}

/** Adds `e` to `table` with execd's duplicate rule; false when the table is full. */
function addEntry(table: ArConfEntry[], e: ArConfEntry): boolean {
  const i = table.findIndex((x) => x.name === e.name);
  const existing = i < 0 ? undefined : table[i];
  if (existing) {
    if (existing.program === '' && e.program !== '') {
      table[i] = { name: existing.name, program: e.program, timeout: existing.timeout };
    }
    return true;
  }
  if (table.length >= AR_CONF_MAX_ENTRIES) {
    return false;
  }
  table.push(e);
  return true;
}

/**
 * Parses ar.conf text as execd's `ReadExecConfig` does. `exists(relPath)` tells whether
 * `active-response/bin/<exe>` can be opened. Duplicate names: the first line wins unless its
 * executable is missing and a later one's exists (the path is then replaced, the first timeout kept).
 */
export function parseArConf(
  text: string,
  exists: (relPath: string) => boolean,
  options: ParseArConfOptions = {},
): { table: ArConfTable; logs: readonly ArConfLog[] } {
  const ctx: LineContext = { exists, firstRead: options.firstRead ?? true, logs: [] };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  const entries: ArConfEntry[] = [];
  for (const line of lines) {
    const e = parseLine(line, ctx);
    if (e && !addEntry(entries, e)) {
      const message = `Active response table is full (${AR_CONF_MAX_ENTRIES} names): '${e.name}' ignored.`;
      ctx.logs.push({ level: 'error', message });
    }
  }
  const absent = ctx.firstRead ? absentLogs(entries, options.binFiles ?? []) : [];
  return { table: { entries }, logs: [...ctx.logs, ...absent] };
}

/** Result of resolving an AR name (execd's `GetCommandbyName`). */
export type CommandLookup =
  | { readonly kind: 'found'; readonly program: string; readonly timeout: number }
  | { readonly kind: 'custom'; readonly program: string; readonly timeout: 0 }
  | { readonly kind: 'not-present'; readonly program: string }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'rejected'; readonly log: string };

/**
 * Resolves `name`: `!script` runs `active-response/bin/script` with timeout 0 (refused on a `..`
 * component or an over-long path, as WARNING lines); otherwise an exact, case-sensitive ar.conf
 * match. `not-present` (executable missing) is silently ignored by execd; `unknown` is where execd
 * re-reads ar.conf once and then logs (1311).
 */
export function lookupCommand(table: ArConfTable, name: string): CommandLookup {
  if (name.startsWith('!')) {
    const script = name.slice(1);
    if (hasParentRef(script)) {
      return {
        kind: 'rejected',
        log: `Active response command '${script}' vulnerable to directory traversal attack. Ignoring.`,
      };
    }
    const program = `${AR_BIN_DIR}/${script}`;
    if (program.length >= PATH_MAX) {
      return { kind: 'rejected', log: `Cannot execute command '${script.slice(0, 32)}...': path too long.` };
    }
    return { kind: 'custom', program, timeout: 0 };
  }
  const e = table.entries.find((x) => x.name === name);
  if (!e) {
    return { kind: 'unknown' };
  }
  return e.program === ''
    ? { kind: 'not-present', program: e.absent ?? '' }
    : { kind: 'found', program: e.program, timeout: e.timeout };
}
