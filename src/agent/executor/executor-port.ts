/**
 * The executor port: how execd runs one response script, whatever runs it. Three implementations
 * share these types and the same exchange (reference §1.3-§1.5, §2.3):
 *   - spawn (spawn-script.ts): a real process, started by a worker thread so the main loop stays free;
 *   - in-process (in-process-script.ts): a stock script through the script library, cancellable;
 *   - dry-run (dry-run-script.ts): every decision and record happens, nothing touches the host; the
 *     outcome's `output` lists the exact commands that would have run.
 * select-runner.ts composes them (and refuses scripts whose owner or mode cannot be trusted).
 *
 * Types only.
 */

/** Time and size limits for one script run. */
export interface ScriptLimits {
  /** Whole run, from spawn to exit, in ms; then the group is terminated. */
  readonly execMs: number;
  /** How long to wait for the script's first stdout line in add mode, in ms. */
  readonly handshakeMs: number;
  /** SIGTERM to SIGKILL, in ms. */
  readonly killGraceMs: number;
  /** Bytes of the end of stderr kept for the log. */
  readonly stderrTailBytes: number;
  /** The first stdout line is cut at this many bytes (Wazuh's fgets reads at most 8191). */
  readonly maxLineBytes: number;
}

export interface ScriptInvocation {
  /** cwd of the script (Wazuh's install dir). */
  readonly home: string;
  /**
   * Path relative to home, e.g. "active-response/bin/firewall-drop". Started from `home` with this
   * relative path, as Wazuh does, so `$0` of an interpreted script is relative too.
   */
  readonly program: string;
  /** The message line to write (no trailing newline). */
  readonly line: string;
  /** delete: stdin only, no stdout pipe, no handshake. */
  readonly mode: 'add' | 'delete';
  readonly limits: ScriptLimits;
  /**
   * add mode: called (on the main thread) with the first stdout line; returns the reply line to write
   * (continue/abort message) or undefined to write nothing. May wait; the execMs limit keeps running.
   * `stopped()` is true once that limit has passed: the script is being (or has been) stopped and
   * can act on no reply, so a decision taken then must not record anything as applied by it.
   */
  readonly decide?: (firstLine: string, stopped: () => boolean) => Promise<string | undefined>;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** This invocation alone is a dry run (a dry-run order), whatever the runner's mode. */
  readonly dryRun?: boolean;
}

/** none = delete mode; eof = stdout ended without a line; line = a first line came; timeout = none within handshakeMs. */
export type Handshake = 'none' | 'eof' | 'line' | 'timeout';

export interface ScriptOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** execMs elapsed and the script was stopped (process group terminated, or in-process run aborted). */
  readonly timedOut: boolean;
  readonly handshake: Handshake;
  readonly firstLine: string | undefined;
  /** The line written back after the first line, if any (lost, harmlessly, if the script had already exited). */
  readonly reply: string | undefined;
  /**
   * The end of stderr; for a refused script the reason ("refused: ..."), for a dry run the commands
   * that would have run, one per line (it is what the execution record keeps as output).
   */
  readonly stderrTail: string;
  readonly spawnError: string | undefined;
  /** Epoch ms from the injected clock. */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** Runs one script invocation; never rejects except when `decide` rejects. */
export type ScriptRunner = (inv: ScriptInvocation) => Promise<ScriptOutcome>;
