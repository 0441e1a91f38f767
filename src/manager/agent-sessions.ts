/**
 * The live link sessions, one per agent id: who is connected now and whether its hello arrived
 * (orders are sent only to `ready` sessions, after the welcome). Transport-neutral: a session is
 * a WebSocket (link-server.ts) or the manager's in-process agent 000 (local-agent-link.ts).
 */
import type { ManagerFrame, OrderFrame } from '../protocol/link.js';
import { LinkClose } from '../protocol/link.js';
import { orderFrames } from '../protocol/link-pack.js';

export interface AgentSession {
  send(frame: ManagerFrame): void;
  close(code: number, reason: string): void;
  /**
   * Closes the session so that the agent reconnects and re-sends its hello and reports (the
   * manager could not store its frames). Every transport has one (the manager's own agent 000
   * reconnects 1 s later, in-process-link.ts and port-link.ts); optional for test doubles.
   */
  retry?(): void;
  /**
   * Stops (false) or restarts (true) reading the agent's frames: backpressure while the frames it
   * sent wait for the store (read-pauses.ts); TCP flow control then holds the rest on the agent's
   * side. Only the WebSocket link has it. The manager's own agent 000 (in-process-link.ts,
   * port-link.ts) has none: it is local and trusted, sends in answer to this manager's own orders,
   * and its transports have no flow control to lean on (stopping the port's listener would only
   * queue its messages in this same heap).
   */
  setReading?(on: boolean): void;
  /**
   * Checks now that the agent is still there (a ping): a session whose agent does not answer
   * within a few seconds (link/peer-liveness.ts PROBE_ANSWER_MS) is closed, instead of at the
   * heartbeat's dead-peer limit. Asked when another cluster node says it holds this agent's link
   * (a half-open connection left here). Only the WebSocket link has it: the manager's own agent
   * 000 is local and never held elsewhere.
   */
  probe?(): void;
  /** Remote IP address ("local" for the in-process agent). */
  readonly address: string;
}

/**
 * Told when an agent's link starts taking orders on this process (its hello arrived) and when it
 * stops (closed, replaced, detached). A cluster node announces both on the order bus
 * (runtime/cluster-node.ts). Must not throw.
 */
export interface SessionWatch {
  accepting(agentId: string): void;
  gone(agentId: string): void;
}

interface Entry {
  readonly session: AgentSession;
  ready: boolean;
  /** Between markGreeting and markReady: frames sent meanwhile, held in order. */
  held: ManagerFrame[] | undefined;
  /** The agent's hello offered `orders` batch frames. */
  batches: boolean;
  /** Orders sent in this event-loop turn, packed into batch frames at its end (batches only). */
  out: OrderFrame[];
}

export class AgentSessions {
  private readonly byId = new Map<string, Entry>();
  private changed = 0;
  /** Entries with orders waiting for the end of this turn (see deliver); flushed by one microtask. */
  private pending: Entry[] = [];
  private watch: SessionWatch | undefined;

  /**
   * Sets the one watcher (replacing any), and tells it at once of every session taking orders now
   * (ready, or greeting): those whose hello came before it was set (a cluster node's link server
   * listens before its bus is attached) would otherwise be announced only at their next hello.
   */
  setWatch(watch: SessionWatch | undefined): void {
    this.watch = watch;
    for (const [id, e] of this.byId) {
      if (e.ready || e.held !== undefined) {
        watch?.accepting(id);
      }
    }
  }

  /** Counts the sessions attached and removed: unchanged means `isConnected` answers as before. */
  get changes(): number {
    return this.changed;
  }

  /** Registers a new session; an older session of the same agent is closed (4409). */
  attach(agentId: string, session: AgentSession): void {
    const old = this.byId.get(agentId);
    this.changed++;
    this.byId.set(agentId, { session, ready: false, held: undefined, batches: false, out: [] });
    if (old !== undefined && (old.ready || old.held !== undefined)) {
      this.watch?.gone(agentId); // until the new session's hello
    }
    old?.session.close(LinkClose.REPLACED, 'replaced by a newer connection');
  }

  /** Forgets `session` if it is still the agent's current one; true when it was. */
  detach(agentId: string, session: AgentSession): boolean {
    if (this.byId.get(agentId)?.session !== session) {
      return false;
    }
    this.take(agentId);
    return true;
  }

  isCurrent(agentId: string, session: AgentSession): boolean {
    return this.byId.get(agentId)?.session === session;
  }

  /**
   * The hello arrived and the queued orders are being read (asynchronously): from now on `send`
   * holds frames (orders committed meanwhile) until {@link markReady}.
   */
  markGreeting(agentId: string, batches = false): void {
    const e = this.byId.get(agentId);
    if (e && !e.ready) {
      if (e.held === undefined) {
        e.held = [];
        this.watch?.accepting(agentId);
      }
      e.batches = batches;
    }
  }

  /**
   * Sends `first` (the queued orders, in seq order), then the frames held since markGreeting except
   * orders already in `first`, and marks the session ready. False when the agent has no session.
   */
  markReady(agentId: string, first: readonly ManagerFrame[] = []): boolean {
    const e = this.byId.get(agentId);
    if (!e) {
      return false;
    }
    const sent = new Set<number>();
    for (const f of first) {
      this.deliver(e, f);
      if (f.type === 'order') {
        sent.add(f.seq);
      }
    }
    for (const f of e.held ?? []) {
      if (f.type !== 'order' || !sent.has(f.seq)) {
        this.deliver(e, f);
      }
    }
    e.held = undefined;
    e.ready = true;
    return true;
  }

  /**
   * Sends `frame` to the entry's session. With batches, orders wait for the end of the current
   * event-loop turn (a microtask, so no delay when idle) and go packed into `orders` frames; any
   * other frame first sends the orders before it, so the order of frames never changes.
   */
  private deliver(e: Entry, frame: ManagerFrame): void {
    if (e.batches && frame.type === 'order') {
      if (e.out.push(frame) === 1 && this.pending.push(e) === 1) {
        // One microtask per turn for all the sessions with orders waiting, not one per session (an
        // ingest of 500 alerts sends to ~500 sessions in one turn; Node's queueMicrotask also builds
        // an AsyncResource per call).
        queueMicrotask(this.flushPending);
      }
      return;
    }
    this.flushOrders(e);
    e.session.send(frame);
  }

  /**
   * Flushes every entry waiting; one session's failing send does not strand the others' orders
   * (each entry is flushed on its own, errors rethrown after all, as one microtask each would).
   */
  private readonly flushPending = (): void => {
    const entries = this.pending;
    this.pending = [];
    let failed: { err: unknown } | undefined;
    for (const e of entries) {
      try {
        this.flushOrders(e);
      } catch (err: unknown) {
        failed ??= { err };
      }
    }
    if (failed !== undefined) {
      throw failed.err;
    }
  };

  private flushOrders(e: Entry): void {
    const orders = e.out.splice(0);
    for (const f of orders.length > 0 ? orderFrames(orders) : []) {
      e.session.send(f);
    }
  }

  isConnected(agentId: string): boolean {
    return this.byId.has(agentId);
  }

  /** Ids of the agents whose hello arrived on this process's link. */
  readyIds(): string[] {
    return [...this.byId].filter(([, e]) => e.ready).map(([id]) => id);
  }

  isReady(agentId: string): boolean {
    return this.byId.get(agentId)?.ready ?? false;
  }

  /**
   * Whether `send` would take a frame for the agent now: its session is ready, or greeting (the
   * frame is then held and sent after the queued orders). A node handing an order from the bus to
   * an agent whose hello is being applied must not drop it: its queued-order read may predate it.
   */
  accepts(agentId: string): boolean {
    const e = this.byId.get(agentId);
    return e !== undefined && (e.ready || e.held !== undefined);
  }

  /** Probes the agent's current session (AgentSession.probe), if it has one that can be probed. */
  probe(agentId: string): void {
    this.byId.get(agentId)?.session.probe?.();
  }

  /** Sends to a ready session; false when the agent is not ready (the order stays queued). */
  send(agentId: string, frame: ManagerFrame): boolean {
    const e = this.byId.get(agentId);
    if (e?.held !== undefined) {
      e.held.push(frame);
      return true;
    }
    if (!e?.ready) {
      return false;
    }
    this.deliver(e, frame);
    return true;
  }

  close(agentId: string, code: number, reason: string): void {
    this.take(agentId)?.session.close(code, reason);
  }

  /** Removes the agent's entry (a change) and returns it; undefined when it has none. */
  private take(agentId: string): Entry | undefined {
    const e = this.byId.get(agentId);
    if (e) {
      this.changed++;
      this.byId.delete(agentId);
      if (e.ready || e.held !== undefined) {
        this.watch?.gone(agentId);
      }
    }
    return e;
  }

  /**
   * Asks every agent whose transport reconnects (AgentSession.retry) to reconnect, to another
   * node when it knows several; returns how many.
   */
  retryAll(): number {
    let n = 0;
    for (const [id, e] of [...this.byId]) {
      if (e.session.retry !== undefined) {
        this.take(id);
        e.session.retry();
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.byId.size;
  }
}
