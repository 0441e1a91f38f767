/**
 * Read models the console's pages share, kept by the API layer from the service's events:
 * - `active`: every active response of the fleet in memory (active-index.ts), read from the store
 *   once when the API starts and then kept current by the `active` / `active-list` events, so
 *   paging and filtering 100,000 rows never re-reads the store. (Executions per minute are counted
 *   by the store: per-minute-series.ts.)
 *
 * Events are this node's only. On a cluster node (`activeRefreshMs` set) agents linked to other
 * nodes report to those nodes, so the index is also read again from the shared store when a
 * request finds it older than `activeRefreshMs`: `GET /active-responses`, `riposte ar list` and the
 * console show every node's agents' responses, at most that old (a response this node's own agents
 * report shows at once). One read at a time, shared by the requests that wait for it.
 */
import type { FastifyInstance } from 'fastify';
import type { ManagerApiDeps } from './api-deps.js';
import { ActiveIndex } from './active-index.js';
import type { ManagerEvent } from '../manager/manager-service.js';

export interface ReadModels {
  /** The fleet's active responses (on a cluster node, read again first when stale: see above). */
  active(): Promise<ActiveIndex>;
}

/** Applies one service event to the index. */
function applyTo(active: ActiveIndex, e: ManagerEvent): void {
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
}

/** Creates the read models and subscribes them to the service until the API closes. */
export function createReadModels(app: FastifyInstance, deps: ManagerApiDeps): ReadModels {
  const active = new ActiveIndex();
  // Events arriving while the store is read are held and applied after the load, in order
  // (re-applying one the load already saw is harmless). Subscribed first, so none is missed.
  let held: ManagerEvent[] | undefined = [];
  let loadedAt: number | undefined;
  let loading: Promise<void> | undefined;
  const unsubscribe = deps.service.onEvent((e) => {
    if (held === undefined) {
      applyTo(active, e);
    } else {
      held.push(e);
    }
  });
  const load = async (): Promise<void> => {
    held ??= [];
    const startedAt = deps.now();
    try {
      active.load(await deps.service.listActive({}));
      loadedAt = startedAt;
    } finally {
      const replay = held;
      held = undefined;
      replay.forEach((e) => {
        applyTo(active, e);
      });
    }
  };
  const loadOnce = (): Promise<void> =>
    (loading ??= load().finally(() => {
      loading = undefined;
    }));
  const stale = (): boolean => {
    const every = deps.activeRefreshMs;
    if (loadedAt === undefined) {
      return true;
    }
    const age = deps.now() - loadedAt;
    return every !== undefined && (age >= every || age < 0);
  };
  app.addHook('onReady', loadOnce);
  app.addHook('onClose', async () => {
    unsubscribe();
  });
  return {
    active: async () => {
      if (stale()) {
        await loadOnce();
      }
      return active;
    },
  };
}
