/**
 * The link's certificate look-ups (fingerprint -> agent), those of one event-loop turn made in one
 * store read. After a node's failover thousands of agents reconnect within seconds, each asking
 * once as its `/link` upgrade arrives: one read per agent took a pool connection and a PostgreSQL
 * round trip each (1,666 reads in the failover benchmark), where the upgrades completed in one
 * turn now share a read. Each caller gets the agent its fingerprint belongs to, as stored then (the
 * read is made after the call, never from a cache: a removed agent is refused at once); a failed
 * read fails every look-up of its turn.
 */
import type { AgentRecord, ManagerStore } from '../core/orders/manager-store.js';

interface Lookup {
  readonly fingerprint: string;
  readonly resolve: (agent: AgentRecord | undefined) => void;
  readonly reject: (err: unknown) => void;
}

export function fingerprintLookups(
  store: Pick<ManagerStore, 'getAgentsByFingerprints'>,
): (fingerprint: string) => Promise<AgentRecord | undefined> {
  let pending: Lookup[] = [];
  const read = (batch: readonly Lookup[]): void => {
    store.getAgentsByFingerprints(batch.map((l) => l.fingerprint)).then(
      (agents) => {
        batch.forEach((l, i) => {
          l.resolve(agents[i]);
        });
      },
      (err: unknown) => {
        for (const l of batch) {
          l.reject(err);
        }
      },
    );
  };
  return (fingerprint) =>
    new Promise((resolve, reject) => {
      if (pending.push({ fingerprint, resolve, reject }) === 1) {
        setImmediate(() => {
          const batch = pending;
          pending = [];
          read(batch);
        });
      }
    });
}
