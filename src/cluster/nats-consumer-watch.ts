/**
 * Notices that the order bus's NATS consumer is gone when the library does not say so. The
 * library reports a deleted stream or consumer only to a pull request in flight at that moment
 * (a 409 status); a node between two pulls hears nothing, and its ordered consumer then waits for
 * heartbeats (30 s and more) before its own reset, which cannot succeed on a deleted stream (seen
 * in about 1 run in 130 of test/cluster/order-bus.test.ts's stream-gone case on a busy machine).
 * So the consumer's info is asked every `everyMs`; two answers in a row that the stream or the
 * consumer does not exist (not a timeout, not a disconnection: those are the connection's
 * business) call `onLost` once. Two, not one: the library's own reset replaces the consumer, and
 * an info asked in between may name the old one.
 */
import { errorMessage } from '../protocol/error-message.js';

/** How often the consumer's info is asked, ms. */
export const WATCH_EVERY_MS = 3_000;
/** Answers "gone" in a row that make a loss. */
const MISSES = 2;

/** Whether `err` (a JetStream API error) says the stream or the consumer does not exist. */
export function isGone(err: unknown): boolean {
  return /\b(stream|consumer) not found\b/i.test(errorMessage(err));
}

export interface ConsumerWatch {
  stop(): void;
}

/** Starts asking `info` every `everyMs`; `onLost` is called at most once, and the watch stops then. */
export function watchConsumer(
  info: () => Promise<unknown>,
  onLost: (why: string) => void,
  everyMs = WATCH_EVERY_MS,
): ConsumerWatch {
  let misses = 0;
  let asking = false;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  const timer = setInterval(() => {
    if (asking || stopped) {
      return;
    }
    asking = true;
    info().then(
      () => {
        misses = 0;
        asking = false;
      },
      (err: unknown) => {
        asking = false;
        misses = isGone(err) ? misses + 1 : 0;
        if (misses >= MISSES && !stopped) {
          stop();
          onLost(`${errorMessage(err)} (the consumer's info, ${MISSES} times)`);
        }
      },
    );
  }, everyMs);
  timer.unref();
  return { stop };
}
