/**
 * Wazuh execd's exchange with one response script (reference §1.3-§1.5, §2.3), run through the
 * hardened process runner, with the time limits Wazuh lacks (§2.7, §8 item 1).
 *
 * add:    start `program` relative to home from home (cwd = home, execve path and argv0 = program, so an
 *         interpreted script's `$0` is relative, as under Wazuh; its own process group); write the message
 *         line; wait up to `handshakeMs` for ONE stdout line. A line (any text, even non-JSON) goes to
 *         `decide`, whose reply (continue/abort message) is written back; then stdin is closed. EOF or
 *         a handshake timeout: stdin is closed without a reply (Wazuh then does not track the add).
 * delete: same spawn with stdin only (no stdout pipe, no handshake); write the line, close stdin.
 * Both:   wait for the exit, bounded by `execMs` from spawn (then SIGTERM, SIGKILL after grace, to the
 *         whole group). Where Wazuh would block forever, we end with `timedOut: true`. The time
 *         `decide` waits counts too; it is told when the limit has passed (executor-port.ts).
 *
 * It does not interpret the first line (check_keys parsing belongs to the caller's `decide`), decide
 * anything, or log: it reports what happened as a ScriptOutcome.
 */
import path from 'node:path';
import { ErrorCode, RiposteError } from '../../protocol/error-codes.js';
import { startProcess } from '../../exec/run-process.js';
import type { InteractiveProcess, ProcessStarter } from '../../exec/run-process.js';
import type { Handshake, ScriptInvocation, ScriptLimits, ScriptOutcome } from './executor-port.js';

export type {
  Handshake,
  ScriptInvocation,
  ScriptLimits,
  ScriptOutcome,
  ScriptRunner,
} from './executor-port.js';

/** execMs 60000, handshakeMs 10000, killGraceMs 2000, stderrTailBytes 4096, maxLineBytes 8191. */
export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = Object.freeze({
  execMs: 60_000,
  handshakeMs: 10_000,
  killGraceMs: 2000,
  stderrTailBytes: 4096,
  maxLineBytes: 8191,
});

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
export async function runScript(
  inv: ScriptInvocation,
  now: () => number,
  start: ProcessStarter = startProcess,
): Promise<ScriptOutcome> {
  const file = relativeProgram(inv.program);
  const startedAt = now();
  // Taken before the spawn, on the monotonic clock: the runner's limit, timed from the spawn
  // itself (in a spawn helper, later still), cannot stop the script before this instant.
  const limitAt = performance.now() + inv.limits.execMs;
  const proc = start({
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
  const stopped = (): boolean => performance.now() >= limitAt;
  const exchange = inv.mode === 'add' ? await handshake(proc, inv, stopped) : NO_EXCHANGE;
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
async function handshake(
  proc: InteractiveProcess,
  inv: ScriptInvocation,
  stopped: () => boolean,
): Promise<Exchange> {
  const read = await proc.readLine(inv.limits.handshakeMs);
  if (read.kind !== 'line') {
    return { handshake: read.kind, firstLine: undefined, reply: undefined };
  }
  let reply: string | undefined;
  try {
    reply = inv.decide === undefined ? undefined : await inv.decide(read.line, stopped);
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
 * The path handed to execve, relative to home (the cwd), refusing programs that are absolute or climb
 * out of home, so a crafted command name can never reach an executable outside the install dir. A
 * bare name gets "./" so it is never looked up in PATH.
 * @throws RiposteError AR_SCRIPT_FAILED
 */
export function relativeProgram(program: string): string {
  const segments = program.split('/');
  if (program === '' || path.isAbsolute(program) || segments.includes('..') || program.includes('\0')) {
    throw new RiposteError(
      ErrorCode.AR_SCRIPT_FAILED,
      `Cannot run script "${program}": the path must be relative to the home dir and stay inside it`,
    );
  }
  const normal = path.normalize(program);
  return normal.includes('/') ? normal : `./${normal}`;
}
