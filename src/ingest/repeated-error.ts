/**
 * The failures of a loop that retries on its own (the alerts.json tailer's polls, every 200 ms):
 * a failure that lasts (the path is a directory, the file is not readable by this user) would
 * otherwise be logged at every retry, five lines a second, for as long as nobody fixes it. A
 * failure is reported when it is new (its message differs from the last one reported, or a retry
 * succeeded since) and again every {@link REPEAT_REPORT_MS} while it lasts, with how many times it
 * failed meanwhile. No I/O and no clock of its own: the caller passes `now` and the reporter.
 */

/** How long the same failure stays quiet after it was reported. */
export const REPEAT_REPORT_MS = 60_000;

interface Run {
  readonly message: string;
  readonly reportedAt: number;
  /** Failures since it was last reported. */
  quiet: number;
}

export class RepeatedErrors {
  private run: Run | undefined;

  /** @param report is given each failure to report (not the repeats kept quiet). */
  constructor(private readonly report: (err: Error) => void) {}

  /** A retry failed with `thrown` at `now` (ms): reported unless it repeats one reported lately. */
  failed(thrown: unknown, now: number): void {
    const err = thrown instanceof Error ? thrown : new Error(String(thrown));
    const run = this.run;
    if (run !== undefined && run.message === err.message) {
      if (now - run.reportedAt < REPEAT_REPORT_MS) {
        run.quiet++;
        return;
      }
      const seconds = Math.round((now - run.reportedAt) / 1000);
      this.run = { message: err.message, reportedAt: now, quiet: 0 };
      this.report(
        new Error(`${err.message} (still failing: ${run.quiet + 1} times in ${seconds} s)`, { cause: err }),
      );
      return;
    }
    this.run = { message: err.message, reportedAt: now, quiet: 0 };
    this.report(err);
  }

  /** A retry succeeded: the next failure is new, whatever its message. */
  succeeded(): void {
    this.run = undefined;
  }
}
