/**
 * How much execq input may wait inside the agent at once. A datagram taken off the socket becomes
 * a job (its text, parsed message, promise and closures) that lives until its add is recorded.
 * The intake gate (execq-socket.ts) keeps a bounded backlog as text while execd has a whole next
 * batch queued, but hands datagrams over anyway past that backlog, and `riposte start` reads the
 * socket on its main thread and posts every datagram to the agent's thread: a local sender faster
 * than the scripts (a flood, a runaway integration) grew the heap without limit. Past
 * {@link MAX_WAITING_MESSAGES} messages or {@link MAX_WAITING_CHARS} characters waiting, a datagram
 * is refused: counted as `riposte_input_rejected_total{entry="execq",reason="rate-limited"}` and
 * logged (rate-limited). Wazuh's execd is bounded too, more tightly: it receives one datagram per
 * loop and runs it (reference §2.4), so what waits is only the socket's own short queue. The
 * limits sit far above a burst the agent absorbs (bench execq-burst: 10,000 datagrams in ~1.5 s).
 * Manager orders do not pass here: they are acknowledged and stored, never refused for load.
 */
import { LogRateLimit, recordRejection } from '../protocol/input-rejections.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { errorMessage } from '../protocol/error-message.js';

export const MAX_WAITING_MESSAGES = 50_000;
export const MAX_WAITING_CHARS = 128 * 1024 * 1024;

export interface ExecqLimits {
  readonly messages: number;
  readonly chars: number;
}

/** What waits: counted on admission, uncounted when the caller releases it. */
export class ExecqAdmission {
  private messages = 0;
  private chars = 0;

  constructor(
    private readonly limits: ExecqLimits = { messages: MAX_WAITING_MESSAGES, chars: MAX_WAITING_CHARS },
  ) {}

  /** Whether `text` may go on; when true, `release(text)` must follow once it no longer waits. */
  take(text: string): boolean {
    if (this.messages >= this.limits.messages || this.chars + text.length > this.limits.chars) {
      return false;
    }
    this.messages += 1;
    this.chars += text.length;
    return true;
  }

  release(text: string): void {
    this.messages -= 1;
    this.chars -= text.length;
  }

  get waiting(): { readonly messages: number; readonly chars: number } {
    return { messages: this.messages, chars: this.chars };
  }
}

/**
 * The execq socket's message handler: `submit` for each datagram admitted (the admission released
 * when its promise settles), a refusal counted and logged for the others.
 */
export function admittingExecq(
  submit: (text: string) => Promise<unknown>,
  log: DaemonLog,
  admission: ExecqAdmission = new ExecqAdmission(),
): (text: string) => void {
  const refusals = new LogRateLimit(1, 10_000);
  return (text) => {
    if (admission.take(text)) {
      submit(text).then(
        () => {
          admission.release(text);
        },
        (err: unknown) => {
          admission.release(text);
          log.error(`Execution failed: ${errorMessage(err)}`);
        },
      );
      return;
    }
    recordRejection('execq', 'rate-limited');
    const { log: allowed, summary } = refusals.allow(Date.now());
    if (summary > 0) {
      log.error(`${summary} more execq message(s) refused in the last 10 s: the agent was still full.`);
    }
    if (allowed) {
      const w = admission.waiting;
      log.error(
        `execq message refused: ${w.messages} message(s) (${w.chars} characters) already wait to run; the sender is faster than the responses.`,
      );
    }
  };
}
