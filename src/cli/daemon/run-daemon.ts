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

export interface RunningDaemon {
  stop(): Promise<void>;
}

export type DaemonStarter = () => Promise<RunningDaemon>;

export async function runDaemon(start: DaemonStarter, log: (msg: string) => void): Promise<void> {
  let current = await start();
  let busy = false;
  process.on('SIGHUP', () => {
    const failed = reopenDaemonLogs();
    log(
      failed.length === 0
        ? 'Received SIGHUP: log files reopened.'
        : `Received SIGHUP: ${failed.map((e) => e.message).join('; ')}`,
    );
  });
  process.on('SIGPIPE', () => undefined);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      if (busy) {
        return;
      }
      busy = true;
      log(`Received ${signal}: stopping.`);
      current.stop().then(resolve, (err: unknown) => {
        log(`Stop failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
        resolve();
      });
    };
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
      process.on(sig, () => {
        stop(sig);
      });
    }
    process.on('SIGUSR2', () => {
      if (busy) {
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
          log(`Restart failed: ${err instanceof Error ? err.message : String(err)}`);
          process.exitCode = 1;
          resolve();
        });
    });
  });
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
