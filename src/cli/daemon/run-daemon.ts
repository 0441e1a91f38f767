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

/** The signal handlers runDaemon installed, taken off again when it returns or throws. */
class Handlers {
  private readonly added: [NodeJS.Signals, () => void][] = [];

  on(signal: NodeJS.Signals, handler: () => void): void {
    process.on(signal, handler);
    this.added.push([signal, handler]);
  }

  /**
   * Takes them off: after a failed start, something the start left open would otherwise keep a
   * process alive that ignores SIGTERM (its handler waits for a daemon that never came).
   */
  removeAll(): void {
    for (const [signal, handler] of this.added.splice(0)) {
      process.off(signal, handler);
    }
  }
}

/** SIGHUP reopens the log files; SIGPIPE is ignored. */
function onLogSignals(handlers: Handlers, log: (msg: string) => void): void {
  handlers.on('SIGHUP', () => {
    const failed = reopenDaemonLogs();
    log(
      failed.length === 0
        ? 'Received SIGHUP: log files reopened.'
        : `Received SIGHUP: ${failed.map((e) => e.message).join('; ')}`,
    );
  });
  // Never taken off: without a listener libuv puts back SIGPIPE's default action (end the
  // process), where Node had it ignored.
  if (process.listenerCount('SIGPIPE') === 0) {
    process.on('SIGPIPE', () => undefined);
  }
}

/** What the signal handlers share with runDaemon. */
interface DaemonState {
  current: RunningDaemon | undefined;
  /** A stop or restart is under way: further signals wait for it. */
  busy: boolean;
}

/** SIGUSR2: stop, then start again (re-reading the configuration); a failed restart ends the run. */
function onRestartSignal(
  handlers: Handlers,
  state: DaemonState,
  start: DaemonStarter,
  io: { readonly log: (msg: string) => void; readonly fail: (msg: string) => void },
): void {
  handlers.on('SIGUSR2', () => {
    const running = state.current;
    if (state.busy || running === undefined) {
      return;
    }
    state.busy = true;
    io.log('Received SIGUSR2: restarting.');
    running
      .stop()
      .then(start)
      .then((next) => {
        state.current = next;
        state.busy = false;
      })
      .catch((err: unknown) => {
        io.fail(`Restart failed: ${errorMessage(err)}`);
      });
  });
}

/**
 * Starts the daemon and resolves once a stop signal has stopped it. The signal handlers are in
 * place before `start` runs: a SIGTERM that arrives during start-up (or right after the "running"
 * line, before this function resumes) is a clean stop once the start has finished, never the
 * default silent death of the process. The handlers are taken off when this returns or throws
 * (a failed start: the process then ends on a signal as any other).
 */
export async function runDaemon(start: DaemonStarter, log: (msg: string) => void): Promise<void> {
  const state: DaemonState = { current: undefined, busy: false };
  let requested: (() => void) | undefined;
  const handlers = new Handlers();
  onLogSignals(handlers, log);
  const stopped = new Promise<void>((resolve) => {
    const fail = (line: string): void => {
      log(line);
      process.exitCode = 1;
      resolve();
    };
    const stopNow = (daemon: RunningDaemon): void => {
      daemon.stop().then(resolve, (err: unknown) => {
        fail(`Stop failed: ${errorMessage(err)}`);
      });
    };
    const stop = (signal: string): void => {
      if (state.busy) {
        return;
      }
      state.busy = true;
      log(`Received ${signal}: stopping.`);
      const running = state.current;
      if (running !== undefined) {
        stopNow(running);
      } else {
        requested = () => {
          if (state.current !== undefined) {
            stopNow(state.current);
          }
        };
      }
    };
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
      handlers.on(sig, () => {
        stop(sig);
      });
    }
    onRestartSignal(handlers, state, start, { log, fail });
  });
  try {
    state.current = await start();
    requested?.();
    await stopped;
  } finally {
    handlers.removeAll();
  }
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
