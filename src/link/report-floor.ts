/**
 * The agent's report floor (report-cursor.ts: every execution id at or below it was reported),
 * kept in the agent store so that it outlives the process.
 *
 * Why: the welcome's `lastExecutionId` is the highest execution id the manager holds, not "every
 * one up to there". An execution still running when a later one was reported lies below it: if
 * the agent stops or crashes then, execd's start marks it failed ("interrupted"), and a cursor
 * started from `lastExecutionId` would never report it. Within a process the cursor's own floor
 * covers it; across a restart this saved one does: the first welcome starts from the lower of the
 * two. What lies between them is sent again, which is safe ((agent, id) is unique on the manager).
 *
 * Written once per report run that moved the floor, never per execution; best effort: a store that
 * cannot take it (a full disk) costs at most that a restart re-sends a little more, or, with an
 * older value, that an execution running at the restart goes unreported (as without this file).
 */
import type { AgentStore } from '../core/execd/agent-store.js';
import type { DaemonLog } from '../log/daemon-log.js';
import { errorMessage } from '../protocol/error-message.js';

/** Agent store setting: every execution id <= this one was reported (see the module comment). */
export const REPORT_FLOOR_SETTING = 'report_floor';

export class SavedReportFloor {
  /** The value the store holds (undefined: not read or not written yet). */
  private saved: number | undefined;
  /** The last write failed (logged once until one succeeds). */
  private failing = false;

  constructor(
    private readonly store: Pick<AgentStore, 'getSetting' | 'setSetting'>,
    private readonly log: Pick<DaemonLog, 'warn'>,
  ) {}

  /**
   * Where the first session of this process starts reporting: the lower of the saved floor and
   * what the manager holds (`managerHolds`, the welcome's lastExecutionId); the latter alone when
   * nothing was saved (an agent store from before this setting). Reads the store: a failing one
   * throws, as any store read in a frame handler does (the connection ends).
   */
  start(managerHolds: number): number {
    const text = this.store.getSetting(REPORT_FLOOR_SETTING);
    const saved = text === undefined ? undefined : Number(text);
    if (saved === undefined || !Number.isSafeInteger(saved) || saved < 0) {
      return managerHolds;
    }
    this.saved = saved;
    return Math.min(saved, managerHolds);
  }

  /** After a report run: keeps `floor` if it moved (best effort, see the module comment). */
  keep(floor: number): void {
    if (floor === this.saved) {
      return;
    }
    try {
      this.store.setSetting(REPORT_FLOOR_SETTING, String(floor));
      this.saved = floor;
      this.failing = false;
    } catch (err: unknown) {
      if (!this.failing) {
        this.log.warn(`Could not save the execution report floor (${errorMessage(err)}); kept in memory.`);
      }
      this.failing = true;
    }
  }
}
