/**
 * When the link server gives up on an agent's connection (link-server.ts heartbeat), pure: `now`
 * is given. A peer is dead when no pong came for `deadAfterMs`, or when it has stopped reading:
 * more than {@link STUCK_BYTES} wait in its socket's write buffer and none of it went out for
 * `deadAfterMs`. Pongs alone do not prove a peer alive: a compromised agent can send them while
 * never reading, and everything sent to it (orders, welcomes) would pile up in this process.
 */

/** Bytes waiting for the peer above which an unread buffer counts against it. */
export const STUCK_BYTES = 1024 * 1024;

export interface PeerLiveness {
  lastPong: number;
  /** Bytes waiting at the last heartbeat. */
  buffered: number;
  /** Since when more than STUCK_BYTES have waited without shrinking; undefined when not. */
  stuckSince: number | undefined;
}

/** A new connection's state at `now`. */
export function freshLiveness(now: number): PeerLiveness {
  return { lastPong: now, buffered: 0, stuckSince: undefined };
}

/** At a heartbeat: updates `l` with the bytes waiting now; true when the peer is to be dropped. */
export function peerIsDead(l: PeerLiveness, buffered: number, now: number, deadAfterMs: number): boolean {
  const draining = buffered < l.buffered;
  l.buffered = buffered;
  if (buffered <= STUCK_BYTES || draining) {
    l.stuckSince = undefined;
  } else {
    l.stuckSince ??= now;
  }
  return now - l.lastPong > deadAfterMs || (l.stuckSince !== undefined && now - l.stuckSince > deadAfterMs);
}
