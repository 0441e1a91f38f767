/**
 * The agent frames waiting for the store (link-handler.ts's frameBatcher queue), counted in
 * frames and bytes of frame text, overall and per session, and which sessions must stop being read
 * for it to stay bounded. Pure: no I/O, no clock; read-pauses.ts acts on its answers.
 *
 * Backpressure, not loss: a frame received is always queued and applied; a session that sends a
 * frame while the backlog is over a mark stops being read (TCP then pushes back on its agent, which
 * waits), and every paused session is read again as soon as the next batch takes the queue. A
 * batch takes the whole queue at once, so the backlog drops to zero in one step: that is the low
 * mark, and the hysteresis is the length of a batch (a session pauses at most once per batch).
 *
 * What is counted is the queue, not the batch being applied: memory holds at most that batch and
 * one full queue, twice the marks, plus what a paused socket had already read (its current chunk,
 * at most one frame, 1 MiB, and a read buffer) and the frames of sessions that cannot pause (the
 * manager's own agent 000).
 */

export interface BacklogMarks {
  /** Frames / bytes waiting overall above which a session that sends is paused. */
  readonly frames: number;
  readonly bytes: number;
  /** Frames / bytes of one session waiting above which it is paused whatever the others send. */
  readonly sessionFrames: number;
  readonly sessionBytes: number;
}

/**
 * The manager's marks. Overall: a `location=all` order to 5,000 agents brings 5,000 acks then
 * 5,000 execution reports (~25 B and ~1 KiB of text each: ~5 MiB), and a failover of 5,000 agents
 * a hello, an active list and the reports they re-send each (~15,000 frames): 50,000 frames and
 * 32 MiB are well above a fleet's bursts, so those are never throttled, while a flood is bounded
 * to tens of MiB of text (a parsed frame takes a few times its text) instead of the whole heap.
 * Per session: one agent gets a small share of that (1,000 frames, 4 MiB: four full-size frames),
 * so a single noisy agent is paused alone, long before it could pause the fleet. An agent that
 * legitimately sends more in one batch (a backlog of reports after an outage) is only slowed to
 * the store's pace: its frames are still taken by every batch.
 */
export const DEFAULT_BACKLOG_MARKS: BacklogMarks = {
  frames: 50_000,
  bytes: 32 * 1024 * 1024,
  sessionFrames: 1_000,
  sessionBytes: 4 * 1024 * 1024,
};

interface Tally {
  frames: number;
  bytes: number;
}

/** Whether a session whose frames waiting are `own` (of `all` overall) must stop being read. */
export function overMarks(own: Tally, all: Tally, marks: BacklogMarks): boolean {
  return (
    own.frames > marks.sessionFrames ||
    own.bytes > marks.sessionBytes ||
    all.frames > marks.frames ||
    all.bytes > marks.bytes
  );
}

/** The backlog of sessions `S` (the transport's handles, compared by identity). */
export class FrameBacklog<S> {
  private readonly bySession = new Map<S, Tally>();
  private readonly total: Tally = { frames: 0, bytes: 0 };
  private readonly paused = new Set<S>();

  constructor(private readonly marks: BacklogMarks = DEFAULT_BACKLOG_MARKS) {}

  /**
   * A frame of `bytes` from `session` joins the queue. True when `session` must stop being read
   * now (over a mark, and not paused already): the caller pauses it. A session that cannot pause
   * (`pausable` false: the manager's own agent 000) is counted, never reported nor held as paused.
   */
  add(session: S, bytes: number, pausable = true): boolean {
    const own = this.bySession.get(session) ?? { frames: 0, bytes: 0 };
    own.frames++;
    own.bytes += bytes;
    this.bySession.set(session, own);
    this.total.frames++;
    this.total.bytes += bytes;
    if (!pausable || this.paused.has(session) || !overMarks(own, this.total, this.marks)) {
      return false;
    }
    this.paused.add(session);
    return true;
  }

  /** A batch took the whole queue: the backlog is empty; returns the sessions to read again. */
  take(): S[] {
    const resume = [...this.paused];
    this.paused.clear();
    this.bySession.clear();
    this.total.frames = 0;
    this.total.bytes = 0;
    return resume;
  }

  /** Frames and bytes waiting now. */
  get size(): Readonly<Tally> {
    return { ...this.total };
  }

  /** Sessions not being read now. */
  get pausedCount(): number {
    return this.paused.size;
  }
}
