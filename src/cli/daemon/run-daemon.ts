/**
 * Daemon lifecycle in the foreground: start, then wait for a signal.
 *  SIGTERM, SIGINT, SIGQUIT: clean stop (active responses stay in force unless --revert-on-stop).
 *  SIGUSR2: restart in place (stop, re-read the configuration, start): what restart-riposte sends.
 *  SIGHUP: reopens the log files (after logrotate moved them); nothing else changes.
 *  SIGPIPE: ignored, as wazuh-execd does.
 */
import { assertSafeHome } from '../../home/home-safety.js';
import { reopenDaemonLogs } from '../../log/daemon-log.js';
import { acquireHomeLock } from './home-lock.js';
import { errorMessage } from '../../protocol/error-message.js';

export interface RunningDaemon {
  stop(): Promise<void>;
}

export type DaemonStarter = () => Promise<RunningDaemon>;

/** SIGHUP reopens the log files; SIGPIPE is ignored. */
function onLogSignals(log: (msg: string) => void): void {
  process.on('SIGHUP', () => {
    const failed = reopenDaemonLogs();
    log(
      failed.length === 0
        ? 'Received SIGHUP: log files reopened.'
        : `Received SIGHUP: ${failed.map((e) => e.message).join('; ')}`,
    );
  });
  process.on('SIGPIPE', () => undefined);
}

/**
 * Starts the daemon and resolves once a stop signal has stopped it. The signal handlers are in
 * place before `start` runs: a SIGTERM that arrives during start-up (or right after the "running"
 * line, before this function resumes) is a clean stop once the start has finished, never the
 * default silent death of the process.
 */
export async function runDaemon(start: DaemonStarter, log: (msg: string) => void): Promise<void> {
  let current: RunningDaemon | undefined;
  let busy = false;
  let requested: (() => void) | undefined;
  onLogSignals(log);
  const stopped = new Promise<void>((resolve) => {
    const stopNow = (daemon: RunningDaemon): void => {
      daemon.stop().then(resolve, (err: unknown) => {
        log(`Stop failed: ${errorMessage(err)}`);
        process.exitCode = 1;
        resolve();
      });
    };
    const stop = (signal: string): void => {
      if (busy) {
        return;
      }
      busy = true;
      log(`Received ${signal}: stopping.`);
      if (current !== undefined) {
        stopNow(current);
      } else {
        requested = () => {
          if (current !== undefined) {
            stopNow(current);
          }
        };
      }
    };
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
      process.on(sig, () => {
        stop(sig);
      });
    }
    process.on('SIGUSR2', () => {
      if (busy || current === undefined) {
        return;
      }
      busy = true;
      log('Received SIGUSR2: restarting.');
      current
        .stop()
        .then(start)
        .then((next) => {
          current = next;
          busy = false;
        })
        .catch((err: unknown) => {
          log(`Restart failed: ${errorMessage(err)}`);
          process.exitCode = 1;
          resolve();
        });
    });
  });
  current = await start();
  requested?.();
  await stopped;
}

/**
 * {@link runDaemon} holding the home's lock (home-lock.ts) from before the start until the daemon
 * has stopped. @throws RiposteError HOME_IN_USE when another daemon runs on `home`.
 */
export async function runLockedDaemon(
  home: string,
  command: string,
  start: DaemonStarter,
  log: (msg: string) => void,
): Promise<void> {
  assertSafeHome(home); // before the lock file is written there
  const lock = acquireHomeLock(home, command, undefined, log);
  try {
    await runDaemon(start, log);
  } finally {
    lock.release();
  }
}
