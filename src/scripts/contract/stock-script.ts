/**
 * The definition of a Riposte stock script: what each script supplies to the shared runner
 * (run-stock-script.ts), which implements the Wazuh script-library skeleton (reference §4, §5) once.
 *
 * A stock script only validates its input and performs its OS action; it never reads stdin, prints,
 * handles the handshake or decides exit codes. The same definition runs as a standalone executable
 * (bin/stock-main.ts, under Wazuh's execd or Riposte's) and in-process inside the Riposte agent.
 */
import type { ArEnvelope } from '../../protocol/ar-message.js';
import type { ScriptHost } from '../../protocol/script-io.js';
import type { JoinedKeys, KeyFailure, StockBatch } from './stock-batch.js';

/** What add/delete receive. */
export interface StockContext {
  /** The validated add/delete message as received. */
  readonly message: ArEnvelope;
  /** The validated key returned by {@link StockScript.input} (e.g. the canonical IP); undefined for keyless scripts. */
  readonly key: string | undefined;
  /** String items of `parameters.extra_args`, in order (non-strings skipped). */
  readonly extraArgs: readonly string[];
  /** Appends one line to active-responses.log under this script's argv0. */
  readonly log: (msg: string) => void;
  readonly host: ScriptHost;
}

/** Result of input validation: the key, or the log line to fail with (exit 255, before any handshake). */
export type StockInputResult = { ok: true; key: string | undefined } | { ok: false; log: string };

export interface StockScript {
  /** Executable name under active-response/bin, e.g. "firewall-drop". */
  readonly name: string;
  /** Stateful scripts send `check_keys` with `[key]` on add and wait for continue/abort. */
  readonly stateful: boolean;
  /**
   * Validates the message and extracts the key. Runs before the handshake (Wazuh 4.14.7 order,
   * reference §8.19). Must be pure: no side effects.
   */
  input(message: ArEnvelope): StockInputResult;
  /** Applies the response. Idempotent. Throws {@link ScriptFailure} to fail (exit 255). */
  add(ctx: StockContext): Promise<void>;
  /** Reverts exactly what add did. Idempotent (deleting an absent block succeeds). */
  delete(ctx: StockContext): Promise<void>;
  /**
   * Applies many adds/deletes at once (stock-batch.ts), used when the agent runs this script
   * in-process on a batch. Absent: the items run through add/delete concurrently.
   */
  readonly batch?: StockBatch;
  /**
   * The re-apply form after a reboot (optional; stock-batch.ts JoinedKeys): adds of many keys given
   * as one text, one OS operation, a failing key failing alone. Resolves with the failed keys, or
   * undefined when the text is not `count` keys (the caller then uses `batch`). Never rejects.
   */
  readonly reapplyJoined?: (req: JoinedKeys) => Promise<KeyFailure[] | undefined>;
  /**
   * The responses in force that this process did not apply (an agent restart on the same boot:
   * the OS still holds them), as the re-apply form's keys: remembered, not acted on, so that a
   * backend that finds its state lost later (an nftables table removed) puts them back with its
   * own. Never rejects.
   */
  readonly adoptJoined?: (req: Pick<JoinedKeys, 'keys' | 'count'>) => Promise<void>;
  /**
   * Starts, in the background, what a first run would wait for (a probe of the host's tools), so
   * that a bulk run prepared meanwhile (a re-apply after a reboot) does not wait for it. Never throws.
   */
  readonly warmUp?: () => void;
}

/**
 * Thrown by add/delete to fail the run: the runner logs `message` (it must be a complete
 * active-responses.log message, e.g. "Unable to take lock. End.") and exits 255.
 */
export class ScriptFailure extends Error {
  override readonly name = 'ScriptFailure';
}
