/**
 * `riposte start`'s execq datagrams, read on the main thread, relayed to agent 000's thread: each
 * turn's datagrams in one message, which the thread acknowledges once it has taken them
 * (local-agent-worker.ts). What waits in between is bounded like what waits inside the agent
 * (agent/execq-admission.ts): while the thread is busy (a long synchronous step), a flood would
 * otherwise queue in its message port without limit. Past the limits a datagram is refused here,
 * counted and logged, as inside the agent.
 */
import { ExecqAdmission, admittingExecq } from '../agent/execq-admission.js';
import type { DaemonLog } from '../log/daemon-log.js';

export class ExecqRelay {
  /** Hands one datagram's text on (or refuses it). */
  readonly onText: (text: string) => void;
  private texts: string[] = [];
  private batch: { done: Promise<void>; resolve: () => void } | undefined;
  /** Of each batch posted and not acknowledged yet, oldest first: what releases its texts. */
  private readonly unacked: (() => void)[] = [];

  constructor(
    private readonly post: (texts: string[]) => void,
    log: DaemonLog,
    admission: ExecqAdmission = new ExecqAdmission(),
  ) {
    this.onText = admittingExecq((text) => this.relay(text), log, admission);
  }

  /** The thread took the oldest batch not acknowledged yet. */
  taken(): void {
    this.unacked.shift()?.();
  }

  /** The thread is gone: what it was sent will never be acknowledged. */
  releaseAll(): void {
    for (const release of this.unacked.splice(0)) {
      release();
    }
  }

  /** Queues `text` for this turn's message; resolves when the thread has taken it. */
  private relay(text: string): Promise<void> {
    if (this.batch === undefined) {
      let resolve = (): void => undefined;
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      this.batch = { done, resolve };
      setImmediate(() => {
        this.flush();
      });
    }
    this.texts.push(text);
    return this.batch.done;
  }

  private flush(): void {
    const texts = this.texts;
    const batch = this.batch;
    this.texts = [];
    this.batch = undefined;
    if (batch !== undefined) {
      this.unacked.push(batch.resolve);
    }
    this.post(texts);
  }
}
