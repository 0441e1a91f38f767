/**
 * Notices that the order bus's stream is gone, or was made again, when the library does not say
 * so. The library reports a deleted stream only to a pull request in flight at that moment (a 409
 * status); a node between two pulls hears nothing until its consumer misses heartbeats (30 s and
 * more; seen in about 1 run in 130 of test/cluster/order-bus.test.ts's stream-gone case on a busy
 * machine, with nats.js's ordered consumer). So the stream is looked at every `everyMs` (`probe`:
 * true while it is the one the consumer began on); two answers in a row that it is not (it does
 * not exist, or another node made it again) call `onLost` once. Timeouts and disconnections count
 * as neither: they are the connection's business. The consumer itself is not asked about: its
 * messages end when it is gone (nats-stream-reader.ts).
 */
import { errorMessage } from '../protocol/error-message.js';

/** How often the stream is looked at, ms. */
export const WATCH_EVERY_MS = 3_000;
/** Answers "gone" in a row that make a loss. */
const MISSES = 2;

/** Whether `err` (a JetStream API error) says the stream does not exist. */
export function isStreamGone(err: unknown): boolean {
  return /\bstream not found\b/i.test(errorMessage(err));
}

export interface StreamWatch {
  stop(): void;
}

/**
 * Starts asking `probe` every `everyMs`; `onLost` is called at most once, and the watch stops
 * then. `probe` resolves true while the stream is the consumer's, false when it was made again;
 * a rejection saying the stream does not exist counts as false, any other as no answer.
 */
export function watchStream(
  probe: () => Promise<boolean>,
  onLost: (why: string) => void,
  everyMs = WATCH_EVERY_MS,
): StreamWatch {
  let misses = 0;
  let asking = false;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  const answered = (gone: string | undefined): void => {
    asking = false;
    misses = gone === undefined ? 0 : misses + 1;
    if (gone !== undefined && misses >= MISSES && !stopped) {
      stop();
      onLost(`${gone} (the stream looked at ${MISSES} times)`);
    }
  };
  const timer = setInterval(() => {
    if (asking || stopped) {
      return;
    }
    asking = true;
    probe().then(
      (same) => {
        answered(same ? undefined : 'stream made again');
      },
      (err: unknown) => {
        answered(isStreamGone(err) ? errorMessage(err) : undefined);
      },
    );
  }, everyMs);
  timer.unref();
  return { stop };
}
