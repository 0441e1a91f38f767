/**
 * Everything the manager's services share, built once by the runtime (runtime/manager-runtime.ts).
 * Services are plain functions over this context, so tests can build one with an in-memory store
 * and a fake clock.
 */
import type { FirstHellos } from './first-hellos.js';
import type { Config } from '../core/config-model.js';
import type { DaemonLog } from '../log/daemon-log.js';
import type { AgentSessions } from './agent-sessions.js';
import type { ManagerEvent } from './manager-service.js';
import type { AgentRecord, ManagerStore, StoredOrder } from '../core/orders/manager-store.js';
import type { BusTraffic } from '../cluster/bus-routes.js';
import type { ClockStatus } from '../cluster/cluster-clock.js';

/**
 * What a node of a cluster (several managers on one PostgreSQL store) adds; absent on a single
 * manager. Implemented by runtime/cluster-node.ts (docs/scale-out.md).
 */
export interface ClusterHooks {
  /**
   * The cluster's clock (cluster/cluster-clock.ts: the database's, read at each lease renew), epoch
   * ms: the node's `ManagerContext.now`, so times one node stamps and another judges agree.
   */
  readonly now: () => number;
  /** Orders just committed whose agent is not ready on this node: hand them to the node that holds it. */
  handOff(orders: readonly StoredOrder[]): void;
  /** False on the nodes that must not run the cluster-wide timers now (lease held elsewhere). */
  isLeader(): boolean;
  /** The agent's link is on another node (seen within the last three heartbeats). */
  connectedElsewhere(agent: AgentRecord, now: number): boolean;
  /** This node's clock against the cluster's; undefined before its first reading. */
  clock(): ClockStatus | undefined;
  /** Orders through the order bus since start; undefined before the bus is up. */
  busTraffic(): BusTraffic | undefined;
  /**
   * The agent's hello here read its queue once its seq counter stood at `readAbove`: an order of
   * a higher seq may have been committed after that read, and handed to another node.
   */
  greeted(agentId: string, readAbove: number): void;
}

export interface ManagerContext {
  readonly store: ManagerStore;
  readonly config: Config;
  readonly sessions: AgentSessions;
  readonly now: () => number;
  /** Time-to-live of a queued order, ms. */
  readonly ttlMs: number;
  readonly emit: (event: ManagerEvent) => void;
  readonly log: DaemonLog;
  /**
   * An agent not connected now still counts as active for `location=all` when it was seen this
   * recently (Wazuh's `agents_disconnection_time`), so a short outage of the manager or the network
   * loses nothing: its orders queue. ms.
   */
  readonly disconnectionTimeMs: number;
  /** ar.conf text rendered from the config, sent to agents in the welcome. */
  readonly arConf: string;
  /**
   * `riposte start`: one host, no remote agents. Every location resolves to the local agent "000",
   * and an API run without an agent list runs there.
   */
  readonly singleHost: boolean;
  /** Set when this manager is one node of a cluster. */
  readonly cluster?: ClusterHooks;
  /** A manager alone on its store: the agents welcomed since it started (first-hellos.ts). */
  readonly firstHellos?: FirstHellos;
}

/** Wazuh's default `agents_disconnection_time`: 10 minutes, in ms. */
export const DEFAULT_DISCONNECTION_TIME_MS = 10 * 60 * 1000;

/** Agent id of the manager's own in-process agent. */
export const LOCAL_AGENT_ID = '000';
