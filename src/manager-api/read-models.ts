/**
 * Read models the console's pages share, kept by the API layer from the service's events:
 * - `active`: every active response of the fleet in memory (active-index.ts), read from the store
 *   once when the API starts and then kept current by the `active` / `active-list` events, so
 *   paging and filtering 100,000 rows never re-reads the store. (Executions per minute are counted
 *   by the store: per-minute-series.ts.)
 */
import type { FastifyInstance } from 'fastify';
import type { ManagerApiDeps } from './api-deps.js';
import { ActiveIndex } from './active-index.js';
import type { ManagerEvent } from '../manager/manager-service.js';

export interface ReadModels {
  readonly active: ActiveIndex;
}

/** Creates the read models and subscribes them to the service until the API closes. */
export function createReadModels(app: FastifyInstance, deps: ManagerApiDeps): ReadModels {
  const active = new ActiveIndex();
  // Subscribe first, then load (when the API gets ready): events arriving while the store is read
  // are held and applied after the load, in order (re-applying one the load already saw is harmless).
  let held: ManagerEvent[] | undefined = [];
  const apply = (e: ManagerEvent): void => {
    switch (e.type) {
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
      case 'execution':
      case 'agent-connection':
      case 'alert-ingested':
      case 'dispatch-latency':
      case 'order-state':
      case 'response-fired':
      case 'history-pruned':
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
    active.load(await deps.service.listActive({}));
    const replay = held ?? [];
    held = undefined;
    replay.forEach(apply);
  });
  app.addHook('onClose', async () => {
    unsubscribe();
  });
  return { active };
}
