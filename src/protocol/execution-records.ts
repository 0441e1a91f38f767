/**
 * Records the agent keeps about active responses and executions. Plain data, shared by the pure
 * execd decisions (core/execd), the store (store/) and the API. Times are epoch milliseconds.
 */

/** A stateful response whose `delete` is still pending (Wazuh's timeout-list entry, persisted). */
export interface ActiveResponse {
  /** rkey: script basename + "-" + each key, e.g. "firewall-drop-1.2.3.4". Primary key. */
  readonly key: string;
  /** AR name that created it, e.g. "firewall-drop600". */
  readonly arName: string;
  /** Executable path relative to the home dir, e.g. "active-response/bin/firewall-drop". */
  readonly program: string;
  /** The exact `delete` line (JSON) to write to the script when the response is reverted. */
  readonly deleteMessage: string;
  /** The `add` line (JSON, command "add") used to re-apply after a reboot. */
  readonly addMessage: string;
  /** Agent id this response runs on ("000" = the manager/local host). */
  readonly agentId: string;
  /** First add time (kept on repeats). */
  readonly createdAt: number;
  /** Last add or repeat (Wazuh's time_of_addition). */
  readonly addedAt: number;
  /** Seconds (Wazuh's time_to_block), after repeated-offender adjustment. */
  readonly timeoutSec: number;
  /** addedAt + timeoutSec * 1000: when the delete is due. */
  readonly expiresAt: number;
  /** Number of adds seen for this key while it was active (1 = first). */
  readonly repeatCount: number;
  readonly alertId: string | undefined;
  readonly ruleId: number | undefined;
  readonly srcip: string | undefined;
  readonly user: string | undefined;
}

/** What one execution did. */
export type ExecutionAction = 'add' | 'delete' | 'abort' | 'reapply';

/** How an execution ended. */
export type ExecutionStatus =
  | 'ok' // exit 0
  | 'failed' // non-zero exit or killed by a signal
  | 'timed-out' // killed by Riposte after the execution time limit
  | 'spawn-error' // could not be started
  | 'running';

/** Every ExecutionStatus, in the order lists and help texts name them. */
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'ok',
  'failed',
  'timed-out',
  'spawn-error',
  'running',
];

export interface ExecutionRecord {
  /** Store-assigned id, increasing. */
  readonly id: number;
  /** rkey when known (after the handshake, or for deletes). */
  readonly key: string | undefined;
  readonly arName: string;
  readonly program: string;
  readonly action: ExecutionAction;
  readonly agentId: string;
  readonly alertId: string | undefined;
  readonly ruleId: number | undefined;
  readonly srcip: string | undefined;
  readonly user: string | undefined;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly status: ExecutionStatus;
  /** Last bytes of stderr (bounded). */
  readonly stderrTail: string;
  /** Free-form reason for the outcome (e.g. "no check_keys line", "aborted: already active"). */
  readonly note: string | undefined;
}

/** Fields given when an execution starts; the store assigns the id. */
export type ExecutionStart = Omit<
  ExecutionRecord,
  'id' | 'endedAt' | 'exitCode' | 'signal' | 'timedOut' | 'status' | 'stderrTail' | 'note'
> & {
  /** The manager order this add came from (stored only; the link dedupes redeliveries by it). */
  readonly orderSeq?: number | undefined;
};

/** Fields given when an execution ends. */
export interface ExecutionEnd {
  readonly key?: string | undefined;
  readonly action?: ExecutionAction;
  readonly endedAt: number;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly status: Exclude<ExecutionStatus, 'running'>;
  readonly stderrTail: string;
  readonly note: string | undefined;
}
