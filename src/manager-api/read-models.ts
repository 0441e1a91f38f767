/**
 * Read models the console's pages share, kept by the API layer from the service's events:
 * - `active`: every active response of the fleet in memory (active-index.ts), read from the store
 *   once when the API starts and then kept current by the `active` / `active-list` events, so
 *   paging and filtering 100,000 rows never re-reads the store;
 * - `tally`: executions per minute and outcome over the last 24 h (execution-tally.ts), seeded
 *   from the most recent executions at start and fed by the live events.
 */
import type { FastifyInstance } from 'fastify';
import type { ManagerApiDeps } from './api-deps.js';
import { ActiveIndex } from './active-index.js';
import { ExecutionTally } from './execution-tally.js';
import type { ManagerEvent } from '../manager/manager-service.js';

/** Executions read at start to seed the per-minute tally (the service's page size cap). */
export const TALLY_SEED = 1000;

export interface ReadModels {
  readonly active: ActiveIndex;
  readonly tally: ExecutionTally;
}

/** Creates the read models and subscribes them to the service until the API closes. */
export function createReadModels(app: FastifyInstance, deps: ManagerApiDeps): ReadModels {
  const active = new ActiveIndex();
  const tally = new ExecutionTally();
  // Subscribe first, then load (when the API gets ready): events arriving while the store is read
  // are held and applied after the load, in order (re-applying one the load already saw is harmless).
  let held: ManagerEvent[] | undefined = [];
  const apply = (e: ManagerEvent): void => {
    switch (e.type) {
      case 'execution':
        tally.add(e.execution);
        return;
      case 'active':
        if (e.put !== undefined) {
          active.put(e.put);
        } else if (e.removedKey !== undefined) {
          active.remove(e.agentId, e.removedKey);
        }
        return;
      case 'active-list':
        active.replaceAgent(e.agentId, e.items);
        return;
      case 'agent-connection':
      case 'alert-ingested':
      case 'dispatch-latency':
      case 'order-state':
      case 'response-fired':
        return;
    }
  };
  const unsubscribe = deps.service.onEvent((e) => {
    if (held === undefined) {
      apply(e);
    } else {
      held.push(e);
    }
  });
  app.addHook('onReady', async () => {
    const [items, recent] = await Promise.all([
      deps.service.listActive({}),
      deps.service.listExecutions({ limit: TALLY_SEED }),
    ]);
    active.load(items);
    tally.seed(recent);
    const replay = held ?? [];
    held = undefined;
    replay.forEach(apply);
  });
  app.addHook('onClose', async () => {
    unsubscribe();
  });
  return { active, tally };
}
