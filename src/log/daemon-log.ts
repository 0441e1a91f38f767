/**
 * The agent's daemon log (Wazuh's ossec.log for execd, reference §2.8), as structured JSON lines
 * through pino: `msg` carries Wazuh's exact text and message code, e.g.
 * `(1315): Invalid JSON message: '...'`, so existing searches keep working, while fields such as
 * `key` and `execution` make it queryable. Written to `<home>/logs/riposte.log` through a
 * {@link FileSink} (no link followed, never throws, drops and counts lines on a full disk, reopened
 * on SIGHUP); warnings and errors are echoed to stderr for whoever runs the daemon in the
 * foreground (journald under systemd).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type DestinationStream, type Logger } from 'pino';
import { FileSink, inOneSinkWrite } from './file-sink.js';
import { pinoHead, pinoLine } from './pino-line.js';
import { storageHealth, type StorageEvent } from './storage-health.js';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface DaemonLog {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  flush(): void;
  /**
   * False when debug lines are dropped at this log's level: lets a caller skip building a line
   * nobody will read (execd's per-message excerpt). Absent = assume enabled.
   */
  readonly debugEnabled?: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** pino's numbers for the levels below warn (lines that go to the file only). */
const DEBUG = 20;
const INFO = 30;

/**
 * Where lines below warn go without pino (see pino-line.ts): the file sink when its level lets
 * them through, else nowhere; warn and error go through pino (the file and stderr).
 */
interface FileOnly {
  readonly sink: FileSink;
  /** pino's number for the file's level. */
  readonly fileLevel: number;
  /** pino's bindings text, e.g. `,"tag":"riposte-execd"`. */
  readonly bindings: string;
}

function wrap(logger: Logger, fileOnly?: FileOnly): DaemonLog {
  const below = (level: number, msg: string, fields: LogFields | undefined, viaPino: () => void): void => {
    if (fileOnly === undefined) {
      viaPino();
    } else if (level >= fileOnly.fileLevel) {
      fileOnly.sink.write(pinoLine(pinoHead(level, isoTime(), fileOnly.bindings), msg, fields));
    }
  };
  return {
    debug: (msg, fields) => {
      below(DEBUG, msg, fields, () => {
        logger.debug(fields ?? {}, msg);
      });
    },
    info: (msg, fields) => {
      below(INFO, msg, fields, () => {
        logger.info(fields ?? {}, msg);
      });
    },
    warn: (msg, fields) => {
      logger.warn(fields ?? {}, msg);
    },
    error: (msg, fields) => {
      logger.error(fields ?? {}, msg);
    },
    flush: () => {
      logger.flush();
    },
    get debugEnabled() {
      return logger.isLevelEnabled('debug');
    },
  };
}

/**
 * Runs `fn` (synchronous) with the daemon log lines it writes appended in one write per file when
 * it returns (see FileSink): for the steps of a batch that log one line per execution.
 */
export function inOneLogWrite<T>(fn: () => T): T {
  return inOneSinkWrite(fn);
}

let lastTime = { ms: Number.NaN, text: '' };

/**
 * pino's `stdTimeFunctions.isoTime` (`,"time":"<ISO 8601>"`), the last answer kept: a batch logs a
 * line per execution, mostly within the same millisecond.
 */
export function isoTime(): string {
  const ms = Date.now();
  if (ms !== lastTime.ms) {
    lastTime = { ms, text: `,"time":"${new Date(ms).toISOString()}"` };
  }
  return lastTime.text;
}

/** One sink per log file in the process: the manager's components share `riposte.log`. */
const sinks = new Map<string, FileSink>();

function sinkFor(file: string): FileSink {
  let sink = sinks.get(file);
  if (sink === undefined) {
    sink = new FileSink(file, 0o640, storageHealth);
    sinks.set(file, sink);
  }
  return sink;
}

/**
 * Reopens every daemon log file of this process (SIGHUP, after logrotate moved them); returns
 * the errors of those that could not be reopened (they keep writing to the old file).
 */
export function reopenDaemonLogs(): Error[] {
  const errors: Error[] = [];
  for (const sink of sinks.values()) {
    try {
      sink.reopen();
    } catch (err) {
      errors.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return errors;
}

/** stderr as a destination that never throws (a closed pipe must not stop the daemon). */
const stderrEcho: DestinationStream = {
  write: (line: string) => {
    try {
      process.stderr.write(line);
    } catch {
      // nobody is reading: the line is in the file
    }
  },
};
process.stderr.on('error', () => undefined);

/**
 * Opens `<home>/logs/riposte.log` (directory created 0750, file 0640) with `level`; `tag` names
 * the component. @throws RiposteError HOME_UNSAFE when the file is a symbolic link.
 */
export function openDaemonLog(home: string, level: LogLevel, tag: string): DaemonLog {
  const dir = join(home, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const sink = sinkFor(join(dir, 'riposte.log'));
  const streams = pino.multistream([
    { level, stream: sink },
    { level: 'warn', stream: stderrEcho },
  ]);
  const logger = pino({ level, base: { tag }, timestamp: isoTime }, streams);
  const log = wrap(logger, { sink, fileLevel: logger.levelVal, bindings: `,"tag":${JSON.stringify(tag)}` });
  reportStorageTo(log);
  return log;
}

let storageReporter: (() => void) | undefined;

/** The first daemon log of the process says when the disk fills and when space is back. */
function reportStorageTo(log: DaemonLog): void {
  storageReporter ??= storageHealth.subscribe((e: StorageEvent) => {
    if (e.kind === 'full') {
      log.error(
        `Disk full: cannot write '${e.path}' (${e.code}). Log lines are dropped and counted, execution outcomes kept in memory until space is back.`,
        { path: e.path },
      );
    } else {
      const s = storageHealth.snapshot();
      log.warn(
        `Disk space is back for '${e.path}' after ${Math.round(e.fullForMs / 1000)} s (${s.droppedLogLines} log line(s) dropped so far, ${s.deferredStoreWrites} outcome(s) still pending).`,
        { path: e.path },
      );
    }
  });
}

/** A log that keeps lines in memory (tests, dry runs). */
export function memoryDaemonLog(): DaemonLog & { lines: { level: LogLevel; msg: string }[] } {
  const lines: { level: LogLevel; msg: string }[] = [];
  const push = (level: LogLevel) => (msg: string) => {
    lines.push({ level, msg });
  };
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    flush: () => undefined,
  };
}
