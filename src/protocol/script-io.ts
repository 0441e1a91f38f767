/**
 * The line channel between execd and a response script (reference §1.3-§1.5).
 *
 * A spawned script sees it as its stdin/stdout; a stock script run in-process by the agent gets the
 * same channel as an object, so both paths share one protocol implementation:
 *   execd -> script : the add/delete message (one line)
 *   script -> execd : optional check_keys line (stateful scripts, add only)
 *   execd -> script : continue/abort reply (only when a line was received)
 * Exit codes: 0 success or abort, 255 failure (Wazuh's OS_INVALID).
 *
 * Pure: interfaces and constants only.
 */

/** Exit code of a script that failed (Wazuh exits with -1, seen as 255). */
export const SCRIPT_EXIT_FAILURE = 255;
export const SCRIPT_EXIT_OK = 0;

export interface ScriptChannel {
  /** Next line from execd without its trailing newline; undefined at end of input. */
  readLine(): Promise<string | undefined>;
  /** Sends one line to execd (the newline is added). */
  writeLine(line: string): void;
}

/** What a script needs from its host besides the channel. */
export interface ScriptHost {
  /** The install dir (Wazuh home): logs/active-responses.log and lock dirs live under it. */
  readonly home: string;
  /** argv[0] as execd spawned it, e.g. "active-response/bin/firewall-drop". */
  readonly argv0: string;
  /** Wall clock, for log timestamps. */
  now(): Date;
}
