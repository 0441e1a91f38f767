/**
 * What the backpressure tests share: a store whose batches wait until the test releases them, the
 * execution frames an agent sends (test/e2e/hardening-link.test.ts sends them too), and the
 * execution ids the manager applied, per agent, in order.
 */
import type { ManagerHost } from '../../../src/runtime/manager-host.js';
import type { ExecutionFrame } from '../../../src/protocol/link.js';

export interface HeldBatches {
  /** Resolves once the first batch is waiting. */
  readonly entered: Promise<void>;
  /** Lets every batch, waiting or to come, go through. */
  release(): void;
}

/** Holds every batch of the host store (a store that does not answer) until `release()`. */
export function holdBatches(host: ManagerHost): HeldBatches {
  const store = host.ctx.store;
  const batch = store.batch.bind(store);
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered = (): void => undefined;
  const first = new Promise<void>((resolve) => {
    entered = resolve;
  });
  store.batch = async (fn) => {
    entered();
    await gate;
    return batch(fn);
  };
  return {
    entered: first,
    release: () => {
      release();
    },
  };
}

/** Agent execution `id` (a failed `mark` run, not from an order), with `stderrTail` as given. */
export function executionFrame(id: number, stderrTail = ''): ExecutionFrame {
  return {
    type: 'execution',
    record: {
      id,
      key: `mark-10.0.${Math.floor(id / 250)}.${id % 250}`,
      arName: 'mark600',
      program: 'active-response/bin/mark',
      action: 'add',
      agentId: '001',
      alertId: undefined,
      ruleId: undefined,
      srcip: undefined,
      user: undefined,
      startedAt: 1,
      endedAt: 2,
      exitCode: 1,
      signal: undefined,
      timedOut: false,
      status: 'failed',
      stderrTail,
      note: undefined,
    },
    active: null,
  };
}

/** The agents' execution ids as the manager records them (its `execution` events), in order. */
export function executionIds(host: ManagerHost): Map<string, number[]> {
  const ids = new Map<string, number[]>();
  host.listeners.add((e) => {
    if (e.type === 'execution') {
      const list = ids.get(e.agentId) ?? [];
      list.push(e.execution.id);
      ids.set(e.agentId, list);
    }
  });
  return ids;
}
