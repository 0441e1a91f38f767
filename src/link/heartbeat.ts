/**
 * The link server's heartbeat: every link is pinged once every `everyMs`, and dropped (and
 * logged) when peer-liveness.ts finds it dead. The links take turns: a tick every
 * HEARTBEAT_SLICE_MS (about) handles the links of one turn, each link's turn fixed at its opening
 * (round robin), so each link still sees one ping per `everyMs`. Before, one tick pinged every
 * link at once: a node holding 1,666 links ran 1,666 TLS writes in one synchronous loop and held
 * its event loop 100-300 ms every 10 s on a loaded machine (CPU profile of the cluster benchmark,
 * 2026-12-04), orders and POSTs waiting behind it, and the pongs came back as one burst; a fleet
 * that connects together (a node's start, a failover) kept that rhythm for ever.
 *
 * A busy link is not pinged (see {@link needsPing}): its frames already carry the signs of life
 * both ways. Under load every link carries orders out and acks back, and each ping and its pong
 * cost a TLS write and a read on each side as an order and its ack do (5 % of a node's CPU in the
 * cluster benchmark's ingest profile, 2026-12-04).
 */
import { whyPeerIsDead, type PeerLiveness } from './peer-liveness.js';

/** About how far apart the heartbeat's ticks are, ms (each handles one turn of the links). */
export const HEARTBEAT_SLICE_MS = 250;

/** A link as the heartbeat sees it. */
export interface HeartbeatPeer extends PeerLiveness {
  readonly agentId: string;
  /** Its turn, from {@link HeartbeatTurns.next}: handled at the ticks where `tick % turns` is `turn % turns`. */
  readonly turn: number;
}

/** What the heartbeat does to a link's socket (a ws WebSocket). */
export interface HeartbeatSocket {
  readonly isPaused: boolean;
  readonly bufferedAmount: number;
  ping(): void;
  terminate(): void;
}

export interface HeartbeatOptions {
  readonly everyMs: number;
  readonly deadAfterMs: number;
  readonly log?: { warn(msg: string): void } | undefined;
}

/** How many turns `everyMs` is cut into (1 when it is no longer than a slice). */
export function heartbeatTurns(everyMs: number): number {
  return Math.max(1, Math.round(everyMs / HEARTBEAT_SLICE_MS));
}

/**
 * Whether a link at its turn is to be pinged: not when, within the last period, a pong or a frame
 * came from its peer (what a pong would prove: peer-liveness.ts) and, within the last half
 * period, a frame or ping went to it (the agent drops a link on which nothing arrived for
 * AGENT_DEAD_AFTER_MS, three periods: with the half period, what it hears is never more than
 * about 1.5 periods apart, a lost ping still tolerated).
 */
export function needsPing(l: PeerLiveness, now: number, everyMs: number): boolean {
  const heard = now - l.lastHeard < everyMs;
  const spoke = l.lastSpoke !== undefined && now - l.lastSpoke < everyMs / 2;
  return !(heard && spoke);
}

/**
 * One tick (the `tick`-th since the start): the links whose turn it is are dropped when dead, else
 * pinged unless busy ({@link needsPing}). A paused link (backpressure: not read, so its pongs wait
 * unread) counts as having answered.
 */
export function heartbeatTick<S extends HeartbeatSocket>(
  live: ReadonlyMap<S, HeartbeatPeer>,
  tick: number,
  now: number,
  h: HeartbeatOptions,
): void {
  const turns = heartbeatTurns(h.everyMs);
  const due = tick % turns;
  for (const [ws, l] of live) {
    if (l.turn % turns !== due) {
      continue;
    }
    if (ws.isPaused) {
      l.lastHeard = now;
    }
    const why = whyPeerIsDead(l, ws.bufferedAmount, now, h.deadAfterMs);
    if (why !== undefined) {
      h.log?.warn(`Agent ${l.agentId}: link dropped (${why}).`);
      ws.terminate();
    } else if (needsPing(l, now, h.everyMs)) {
      l.lastSpoke = now;
      ws.ping();
    }
  }
}

/** Hands out the links' turns, round robin. */
export class HeartbeatTurns {
  private count = 0;

  next(): number {
    return this.count++;
  }
}

/** Runs {@link heartbeatTick} on an unref'd timer; `everyMs / turns` apart, so each link once per `everyMs`. */
export function startHeartbeat<S extends HeartbeatSocket>(
  live: ReadonlyMap<S, HeartbeatPeer>,
  h: HeartbeatOptions,
): NodeJS.Timeout {
  let tick = 0;
  const timer = setInterval(
    () => {
      heartbeatTick(live, tick++, Date.now(), h);
    },
    h.everyMs / heartbeatTurns(h.everyMs),
  );
  timer.unref();
  return timer;
}
