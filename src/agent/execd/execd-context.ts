/**
 * Everything an execution needs, built once by the agent and shared by the add, delete and
 * reapply flows. Only the agent's composition root creates one.
 */
import type { AgentStore } from '../../core/execd/agent-store.js';
import type { ProtectedAddresses } from '../../core/match/never-block.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import type { CommandResolver } from '../command-resolver.js';
import type { DaemonLog } from '../../log/daemon-log.js';
import type { ScriptInvocation, ScriptLimits, ScriptOutcome } from '../executor/spawn-script.js';
import type { KeyOrder } from '../key-order.js';
import type { LaterReverts } from './later-reverts.js';
import type { RevertScheduler } from '../revert-scheduler.js';
import type { WorkPool } from '../work-pool.js';

/** Runs one script invocation: spawned, or in-process for stock scripts. */
export type ScriptRunner = (inv: ScriptInvocation) => Promise<ScriptOutcome>;

/** The parts of an ExecdContext that Execd builds itself (ExecdOptions: the rest). */
export type BuiltByExecd = 'order' | 'pool' | 'scheduler' | 'laterReverts' | 'pollIntake';

export interface ExecdContext {
  readonly home: string;
  /** This agent's id; "000" for the manager's own (all-in-one) agent. */
  readonly agentId: string;
  readonly store: AgentStore;
  readonly resolver: CommandResolver;
  readonly runScript: ScriptRunner;
  /**
   * The stock script run in-process for `program`, or undefined to run it through `runScript`
   * (spawned, one execution per pool slot). In-process programs run as batches (run-batch.ts):
   * no pool slot, one store transaction and one OS operation per batch. Absent: none.
   */
  readonly inProcessScript?: (program: string) => StockScript | undefined;
  readonly log: DaemonLog;
  readonly now: () => number;
  /** Minutes (reference §2.5); empty = off. */
  readonly repeatedOffenders: readonly number[];
  readonly limits: ScriptLimits;
  readonly order: KeyOrder;
  readonly pool: WorkPool;
  readonly scheduler: RevertScheduler;
  /** The revert orders that supersede late add orders (later-reverts.ts). */
  readonly laterReverts: LaterReverts;
  /** Called after every execution is recorded (metrics, reporting to a manager). */
  readonly onExecution?: (executionId: number) => void;
  /**
   * Addresses beyond the fixed never-block classes that no add may target (this host's own, the
   * manager link peer); read for every message (core/match/never-block.ts). @default none
   */
  readonly protectedAddresses?: () => ProtectedAddresses;
  /**
   * Called often (per execution) by the synchronous steps of a batch, so that the intake can take
   * what is queued meanwhile (ExecqSocket.poll: reads only, runs nothing). Absent: none.
   */
  readonly pollIntake?: () => void;
}
