/**
 * Backpressure on the agents' link (frame-backlog.ts decides): a session whose frame takes the
 * backlog over a mark stops being read (AgentSession.setReading), and every paused session is read
 * again when the next batch takes the queue. Nothing received is dropped: acks and execution
 * reports wait in the queue, what the agent has not sent yet waits on its side (TCP flow control).
 *
 * Logged once per episode, not per frame or per batch: a warning when reading is first paused,
 * another when the backlog has drained (the flush loop found the queue empty). Under a sustained
 * flood the sessions pause and resume every batch, and that is one episode.
 */
import type { DaemonLog } from '../log/daemon-log.js';
import type { AgentSession } from './agent-sessions.js';
import { DEFAULT_BACKLOG_MARKS, FrameBacklog } from './frame-backlog.js';
import type { LinkBacklog } from './manager-service.js';

export interface ReadPauses {
  /** A frame of `bytes` from `agentId`'s `session` joined the queue. */
  queued(agentId: string, session: AgentSession, bytes: number): void;
  /** A batch took the whole queue. */
  taken(): void;
  /** The flush loop found the queue empty: everything received is applied. */
  drained(): void;
  /** The backlog now, and the pauses since the manager started (for the metrics). */
  state(): LinkBacklog;
}

const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);

export function readPauses(log: Pick<DaemonLog, 'warn'>): ReadPauses {
  const backlog = new FrameBacklog<AgentSession>(DEFAULT_BACKLOG_MARKS);
  /** Pauses since the manager started. */
  let pauses = 0;
  /** `pauses` when reading was first paused; undefined while nobody has been since the backlog drained. */
  let episodeFrom: number | undefined;
  return {
    queued(agentId, session, bytes) {
      // A session that cannot pause (the manager's own agent 000) is counted, never stopped.
      if (!backlog.add(session, bytes, session.setReading !== undefined)) {
        return;
      }
      session.setReading?.(false);
      if (episodeFrom === undefined) {
        episodeFrom = pauses;
        const { frames, bytes: waiting } = backlog.size;
        log.warn(
          `Link backlog: ${frames} agent frame(s) (${mib(waiting)} MiB) wait for the store; reading paused from agent ${agentId}, and from any agent sending past the marks, until the store catches up.`,
        );
      }
      pauses++;
    },
    taken() {
      for (const session of backlog.take()) {
        session.setReading?.(true);
      }
    },
    drained() {
      if (episodeFrom !== undefined) {
        log.warn(
          `Link backlog applied: reading from agents resumed (${pauses - episodeFrom} connection pause(s) meanwhile).`,
        );
        episodeFrom = undefined;
      }
    },
    state() {
      const { frames, bytes } = backlog.size;
      return { frames, bytes, pausedAgents: backlog.pausedCount, pauses };
    },
  };
}
