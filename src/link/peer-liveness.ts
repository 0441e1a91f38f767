/**
 * When the link server gives up on an agent's connection (link-server.ts heartbeat), pure: `now`
 * is given. A peer is dead when nothing came from it (no pong, no frame: either shows its process
 * up and writing) for `deadAfterMs`, or when it has stopped reading: more than {@link STUCK_BYTES}
 * wait in its socket's write buffer and none of it went out for `deadAfterMs`. What it sends alone
 * does not prove a peer alive: a compromised agent can send pongs and frames while never reading,
 * and everything sent to it (orders, welcomes) would pile up in this process.
 * A probe (`probeLiveness`) asks for an answer sooner: a peer from which nothing comes within
 * {@link PROBE_ANSWER_MS} of it is dead, whatever `deadAfterMs` says.
 */

/** Bytes waiting for the peer above which an unread buffer counts against it. */
export const STUCK_BYTES = 1024 * 1024;

/**
 * 5 s: how long a probed peer has to answer. A live agent's pong comes back in milliseconds; the
 * rest is room for a busy manager's event loop (a pong waits in the socket until it is read).
 */
export const PROBE_ANSWER_MS = 5_000;

export interface PeerLiveness {
  /** When the peer last sent something: a pong or a frame. */
  lastHeard: number;
  /** When something (a frame, a ping) last went to the peer; undefined before the first. */
  lastSpoke: number | undefined;
  /** Bytes waiting at the last heartbeat. */
  buffered: number;
  /** Since when more than STUCK_BYTES have waited without shrinking; undefined when not. */
  stuckSince: number | undefined;
  /** When the oldest probe not answered yet was sent; undefined when none is pending. */
  probedAt: number | undefined;
}

/** A new connection's state at `now`. */
export function freshLiveness(now: number): PeerLiveness {
  return { lastHeard: now, lastSpoke: undefined, buffered: 0, stuckSince: undefined, probedAt: undefined };
}

/**
 * At a heartbeat: updates `l` with the bytes waiting now; why the peer is to be dropped (for the
 * log line that says so), or undefined when it is not.
 */
export function whyPeerIsDead(
  l: PeerLiveness,
  buffered: number,
  now: number,
  deadAfterMs: number,
): string | undefined {
  const draining = buffered < l.buffered;
  l.buffered = buffered;
  if (buffered <= STUCK_BYTES || draining) {
    l.stuckSince = undefined;
  } else {
    l.stuckSince ??= now;
  }
  const secs = (ms: number): string => `${Math.round(ms / 1000)} s`;
  if (now - l.lastHeard > deadAfterMs) {
    return `no pong or frame for ${secs(now - l.lastHeard)}`;
  }
  if (l.stuckSince !== undefined && now - l.stuckSince > deadAfterMs) {
    return `${buffered} bytes unread by it for ${secs(now - l.stuckSince)}`;
  }
  if (probeUnanswered(l, now)) {
    return `no pong or frame within ${secs(now - (l.probedAt ?? now))} of a probe`;
  }
  return undefined;
}

/**
 * A probe sent at `now` (with a ping): the peer must answer within PROBE_ANSWER_MS. A probe still
 * pending keeps its time (probing again does not give the peer more time).
 */
export function probeLiveness(l: PeerLiveness, now: number): void {
  if (l.probedAt === undefined || l.lastHeard >= l.probedAt) {
    l.probedAt = now;
  }
}

/** True when the pending probe went unanswered for longer than PROBE_ANSWER_MS; clears an answered one. */
function probeUnanswered(l: PeerLiveness, now: number): boolean {
  if (l.probedAt === undefined) {
    return false;
  }
  if (l.lastHeard >= l.probedAt) {
    l.probedAt = undefined;
    return false;
  }
  return now - l.probedAt > PROBE_ANSWER_MS;
}
