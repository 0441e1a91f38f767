/**
 * Read models the console's pages share, kept by the API layer from the service's events:
 * - `active`: a snapshot of every active response, reused by requests for up to
 *   {@link SNAPSHOT_MAX_AGE_MS} and renewed at once when an execution is reported or an agent
 *   (dis)connects, so paging and filtering 100,000 rows does not re-read the store each time and a
 *   new block still shows at once;
 * - `tally`: executions per minute and outcome over the last 24 h (execution-tally.ts), seeded
 *   from the most recent executions at start and fed by the live events.
 */
import type { FastifyInstance } from 'fastify';
import type { ManagerService } from '../manager/manager-service.js';
import type { FleetActiveResponse } from '../protocol/fleet-records.js';
import type { ManagerApiDeps } from './api-deps.js';
import { ExecutionTally } from './execution-tally.js';

/** How long a snapshot of the active responses serves requests without an invalidating event. */
export const SNAPSHOT_MAX_AGE_MS = 2000;

/** Executions read at start to seed the per-minute tally (the service's page size cap). */
export const TALLY_SEED = 1000;

export class ActiveSnapshot {
  private rows: FleetActiveResponse[] | undefined;
  private takenAt = 0;

  constructor(
    private readonly service: ManagerService,
    private readonly now: () => number,
  ) {}

  invalidate(): void {
    this.rows = undefined;
  }

  get(): FleetActiveResponse[] {
    const now = this.now();
    if (this.rows === undefined || now - this.takenAt > SNAPSHOT_MAX_AGE_MS || now < this.takenAt) {
      this.rows = this.service.listActive({});
      this.takenAt = now;
    }
    return this.rows;
  }
}

export interface ReadModels {
  readonly active: ActiveSnapshot;
  readonly tally: ExecutionTally;
}

/** Creates the read models and subscribes them to the service until the API closes. */
export function createReadModels(app: FastifyInstance, deps: ManagerApiDeps): ReadModels {
  const active = new ActiveSnapshot(deps.service, deps.now);
  const tally = new ExecutionTally();
  tally.seed(deps.service.listExecutions({ limit: TALLY_SEED }));
  const unsubscribe = deps.service.onEvent((e) => {
    if (e.type === 'execution') {
      active.invalidate();
      tally.add(e.execution);
    } else if (e.type === 'agent-connection') {
      active.invalidate();
    }
  });
  app.addHook('onClose', async () => {
    unsubscribe();
  });
  return { active, tally };
}
