/**
 * Backpressure on one agent's WebSocket (AgentSession.setReading, manager/read-pauses.ts), with
 * ws's own `pause()` / `resume()`: its socket stops being read, the kernel's receive buffer fills
 * and TCP flow control stops the agent, whose frames wait on its side. ws may still emit the
 * frames of the chunk it was reading when paused (at most one read), never more.
 *
 * While paused, the peer's pongs and close frames are not read either. Its silence is then ours:
 * its pong age counts from when reading resumed (link-server.ts's heartbeat also excuses a paused
 * peer), and a close resumes reading first so that the closing handshake can finish.
 */
import type { WebSocket } from 'ws';
import type { PeerLiveness } from './peer-liveness.js';

/** Stops or restarts reading `ws`; `live` (its heartbeat state) is told when reading resumes. */
export function setWsReading(ws: WebSocket, live: PeerLiveness | undefined, on: boolean): void {
  if (on) {
    ws.resume();
    if (live !== undefined) {
      live.lastHeard = Date.now();
    }
  } else if (ws.readyState === ws.OPEN) {
    // Not once closing: the peer's close frame must be read.
    ws.pause();
  }
}

/** Closes `ws` with `code`, reading it again if it was paused (its close frame ends the handshake). */
export function closeWs(ws: WebSocket, code: number, reason: string): void {
  ws.resume();
  ws.close(code, reason);
}
