/**
 * The agent's daemon log (Wazuh's ossec.log for execd, reference §2.8), as structured JSON lines
 * through pino: `msg` carries Wazuh's exact text and message code, e.g.
 * `(1315): Invalid JSON message: '...'`, so existing searches keep working, while fields such as
 * `key` and `execution` make it queryable. Written to `<home>/logs/riposte.log`; warnings and
 * errors are echoed to stderr for whoever runs the daemon in the foreground.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface DaemonLog {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  flush(): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

function wrap(logger: Logger): DaemonLog {
  return {
    debug: (msg, fields) => {
      logger.debug(fields ?? {}, msg);
    },
    info: (msg, fields) => {
      logger.info(fields ?? {}, msg);
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
  };
}

/** Opens `<home>/logs/riposte.log` (created 0750) with `level`; `tag` names the component. */
export function openDaemonLog(home: string, level: LogLevel, tag: string): DaemonLog {
  const dir = join(home, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const file = pino.destination({ dest: join(dir, 'riposte.log'), sync: true, mkdir: true });
  const streams = pino.multistream([
    { level, stream: file },
    { level: 'warn', stream: process.stderr },
  ]);
  return wrap(pino({ level, base: { tag }, timestamp: pino.stdTimeFunctions.isoTime }, streams));
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
