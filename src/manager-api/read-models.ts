/**
 * Read models the console's pages share, kept by the API layer from the service's events:
 * - `active`: every active response of the fleet in memory (active-index.ts), read from the store
 *   once when the API starts and then kept current by the `active` / `active-list` events, so
 *   paging and filtering 100,000 rows never re-reads the store. (Executions per minute are counted
 *   by the store: per-minute-series.ts.)
 *
 * Events are this node's only. On a cluster node (`activeRefreshMs` set) agents linked to other
 * nodes report to those nodes, so the index is also read again from the shared store when a
 * request finds it older than `activeRefreshMs`: in the background (one read at a time), the
 * request answered from the copy it has, so no request waits for a whole list to be read and a
 * store that fails leaves the last copy. `GET /active-responses`, `riposte ar list` and the console
 * thus show every node's agents' responses at most `activeRefreshMs` plus one read late (a
 * response this node's own agents report shows once its frame batch commits: link-handler.ts tells
 * a batch's events after its commit, so a read never loses one the index already has).
 */
import type { FastifyInstance } from 'fastify';
import type { ManagerApiDeps } from './api-deps.js';
import { ActiveIndex } from './active-index.js';
import type { ManagerEvent } from '../manager/manager-service.js';
import type { DaemonLog } from '../log/daemon-log.js';

export interface ReadModels {
  /** The fleet's active responses (a cluster node reads them again in the background when stale). */
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

/** Whether a copy read at `loadedAt` must be read again at `now` (a clock gone back: yes). */
function isStale(loadedAt: number, now: number, everyMs: number | undefined): boolean {
  const age = now - loadedAt;
  return everyMs !== undefined && (age >= everyMs || age < 0);
}

/** `load` started without waiting; a failure is logged once until one succeeds (the copy stays). */
function inBackground(load: () => Promise<void>, log: DaemonLog | undefined): () => void {
  let failing = false;
  return () => {
    load().then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        if (!failing) {
          failing = true;
          log?.warn('active list: cannot read it again from the store', { error: String(err) });
        }
      },
    );
  };
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
  const refresh = inBackground(loadOnce, deps.log);
  app.addHook('onReady', loadOnce);
  app.addHook('onClose', async () => {
    unsubscribe();
    await loading?.catch(() => undefined); // the store closes after: no read left on it
  });
  return {
    active: async () => {
      if (loadedAt === undefined) {
        await loadOnce();
      } else if (isStale(loadedAt, deps.now(), deps.activeRefreshMs)) {
        refresh();
      }
      return active;
    },
  };
}
