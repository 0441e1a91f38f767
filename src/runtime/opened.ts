/**
 * What a daemon's start has opened so far (store, servers, agent runtime, threads), to close again
 * when a later step fails: a start that fails leaves nothing open, so the process ends with the
 * error's exit code instead of staying alive on a timer or a socket (and the home's lock, released
 * once the start has thrown, is never released while this process still holds the home).
 */
import type { DaemonLog } from '../log/daemon-log.js';
import { errorMessage } from '../protocol/error-message.js';

export class Opened {
  private readonly closers: (() => Promise<void> | void)[] = [];
  constructor(private readonly log: Pick<DaemonLog, 'warn' | 'error' | 'flush'>) {}

  /**
   * The result of `start`, the rest of a daemon's start. If it throws: "Start failed" logged,
   * everything registered closed (closeAll), the log flushed, and the error rethrown.
   */
  async guard<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (err: unknown) {
      this.log.error(`Start failed: ${errorMessage(err)}`);
      await this.closeAll();
      this.log.flush();
      throw err;
    }
  }

  /** Registers the closer of what was just opened. */
  add(close: () => Promise<void> | void): void {
    this.closers.push(close);
  }

  /**
   * Closes everything, last opened first. A closer that fails is logged and the others still run;
   * this never throws, so the caller rethrows the start's own error.
   */
  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err: unknown) {
        this.log.warn(`Closing after a failed start: ${errorMessage(err)}`);
      }
    }
  }
}
