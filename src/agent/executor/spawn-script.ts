/**
 * Wazuh execd's exchange with one response script (reference §1.3-§1.5, §2.3), run through the
 * hardened process runner, with the time limits Wazuh lacks (§2.7, §8 item 1).
 *
 * add:    spawn home/program (argv0 = program, cwd = home, its own process group); write the message
 *         line; wait up to `handshakeMs` for ONE stdout line. A line (any text, even non-JSON) goes to
 *         `decide`, whose reply (continue/abort message) is written back; then stdin is closed. EOF or
 *         a handshake timeout: stdin is closed without a reply (Wazuh then does not track the add).
 * delete: same spawn with stdin only (no stdout pipe, no handshake); write the line, close stdin.
 * Both:   wait for the exit, bounded by `execMs` from spawn (then SIGTERM, SIGKILL after grace, to the
 *         whole group). Where Wazuh would block forever, we end with `timedOut: true`.
 *
 * It does not interpret the first line (check_keys parsing belongs to the caller's `decide`), decide
 * anything, or log: it reports what happened as a ScriptOutcome.
 */
import path from 'node:path';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { startProcess } from '../../exec/run-process.js';
import type { InteractiveProcess } from '../../exec/run-process.js';

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

/** execMs 60000, handshakeMs 10000, killGraceMs 2000, stderrTailBytes 4096, maxLineBytes 8191. */
export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = Object.freeze({
  execMs: 60_000,
  handshakeMs: 10_000,
  killGraceMs: 2000,
  stderrTailBytes: 4096,
  maxLineBytes: 8191,
});

export interface ScriptInvocation {
  /** cwd of the script (Wazuh's install dir). */
  readonly home: string;
  /** Path relative to home, e.g. "active-response/bin/firewall-drop"; spawned as home/program, argv0 = program. */
  readonly program: string;
  /** The message line to write (no trailing newline). */
  readonly line: string;
  /** delete: stdin only, no stdout pipe, no handshake. */
  readonly mode: 'add' | 'delete';
  readonly limits: ScriptLimits;
  /**
   * add mode: called with the first stdout line; returns the reply line to write (continue/abort
   * message) or undefined to write nothing. May wait; the execMs limit keeps running meanwhile.
   */
  readonly decide?: (firstLine: string) => Promise<string | undefined>;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** none = delete mode; eof = stdout ended without a line; line = a first line came; timeout = none within handshakeMs. */
export type Handshake = 'none' | 'eof' | 'line' | 'timeout';

export interface ScriptOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** execMs elapsed and the script's group was terminated. */
  readonly timedOut: boolean;
  readonly handshake: Handshake;
  readonly firstLine: string | undefined;
  /** The line written back after the first line, if any (lost, harmlessly, if the script had already exited). */
  readonly reply: string | undefined;
  readonly stderrTail: string;
  readonly spawnError: string | undefined;
  /** Epoch ms from the injected clock. */
  readonly startedAt: number;
  readonly endedAt: number;
}

interface Exchange {
  readonly handshake: Handshake;
  readonly firstLine: string | undefined;
  readonly reply: string | undefined;
}

/**
 * Runs one script exchange (see module doc). Resolves once the script has exited or been killed.
 * @throws RiposteError AR_SCRIPT_FAILED (rejected, nothing spawned) when `program` is absolute or
 *   leaves `home`; a rejection of `decide` is passed on after the script has been killed and reaped.
 */
export async function runScript(inv: ScriptInvocation, now: () => number): Promise<ScriptOutcome> {
  const file = resolveProgram(inv.home, inv.program);
  const startedAt = now();
  const proc = startProcess({
    file,
    args: [],
    argv0: inv.program,
    cwd: inv.home,
    ...(inv.env === undefined ? {} : { env: inv.env }),
    timeoutMs: inv.limits.execMs,
    killGraceMs: inv.limits.killGraceMs,
    stdout: inv.mode === 'add' ? 'lines' : 'ignore',
    stderrTailBytes: inv.limits.stderrTailBytes,
    maxLineBytes: inv.limits.maxLineBytes,
  });
  proc.writeLine(inv.line);
  const exchange = inv.mode === 'add' ? await handshake(proc, inv) : NO_EXCHANGE;
  proc.closeStdin();
  const exit = await proc.done;
  return {
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOut: exit.timedOut,
    ...exchange,
    stderrTail: exit.stderrTail,
    spawnError: exit.spawnError,
    startedAt,
    endedAt: now(),
  };
}

const NO_EXCHANGE: Exchange = { handshake: 'none', firstLine: undefined, reply: undefined };

/** Reads the first line and writes the reply `decide` chooses; stdin is left for the caller to close. */
async function handshake(proc: InteractiveProcess, inv: ScriptInvocation): Promise<Exchange> {
  const read = await proc.readLine(inv.limits.handshakeMs);
  if (read.kind !== 'line') {
    return { handshake: read.kind, firstLine: undefined, reply: undefined };
  }
  let reply: string | undefined;
  try {
    reply = inv.decide === undefined ? undefined : await inv.decide(read.line);
  } catch (err) {
    proc.kill();
    await proc.done;
    throw err;
  }
  if (reply !== undefined) {
    proc.writeLine(reply);
  }
  return { handshake: 'line', firstLine: read.line, reply };
}

/**
 * home/program, refusing programs that are absolute or climb out of home, so a crafted command
 * name can never reach an executable outside the install dir.
 */
function resolveProgram(home: string, program: string): string {
  const segments = program.split('/');
  if (program === '' || path.isAbsolute(program) || segments.includes('..') || program.includes('\0')) {
    throw new RiposteError(
      ErrorCode.AR_SCRIPT_FAILED,
      `Cannot run script "${program}": the path must be relative to the home dir and stay inside it`,
    );
  }
  return path.join(home, program);
}
