/**
 * Runs a stock script in the agent's own process through the same library its standalone
 * executable uses, over an in-memory channel that behaves like execd's pipes:
 *   line 1 to the script: the add/delete message;
 *   the script's first written line is the handshake, answered through `decide`;
 *   any further read is end-of-input (execd closes stdin after the reply).
 * Saves a Node.js start-up per execution, which is what makes bursts of thousands of blocks cheap.
 *
 * Cancellable: the run gets an AbortSignal (carried to every tool it starts by tool-scope.ts). When
 * `execMs` passes, the signal is aborted: running tools get SIGTERM (SIGKILL after the grace period),
 * a lock wait gives up, later tools fail at once, so the script ends with a failure. The outcome is a
 * time-out like a spawned script's, reported once the script has stopped (or, for a script stuck in
 * pure JavaScript, once the grace period has passed too).
 */
import { runStockScript } from '../../scripts/contract/run-stock-script.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { runInToolScope, type RecordedCommand } from '../../scripts/contract/tool-scope.js';
import type { ScriptChannel } from '../../protocol/script-io.js';
import type { Handshake, ScriptInvocation, ScriptOutcome } from './executor-port.js';
import { withLimit } from '../../exec/with-limit.js';
import { errorMessage } from '../../protocol/error-message.js';

interface ChannelState {
  handshake: Handshake;
  firstLine: string | undefined;
  reply: string | undefined;
  pendingReply: Promise<string | undefined> | undefined;
  delivered: boolean;
}

/** `stopped`: the run's limit has passed (its signal is aborted), told to `decide`. */
function makeChannel(inv: ScriptInvocation, st: ChannelState, stopped: () => boolean): ScriptChannel {
  return {
    readLine: async () => {
      if (!st.delivered) {
        st.delivered = true;
        return inv.line;
      }
      const reply = st.pendingReply ? await st.pendingReply : undefined;
      st.pendingReply = undefined;
      return reply;
    },
    writeLine: (line: string) => {
      if (inv.mode !== 'add' || st.handshake !== 'eof') {
        return;
      }
      st.handshake = 'line';
      st.firstLine = line;
      st.pendingReply = (inv.decide ? inv.decide(line, stopped) : Promise.resolve(undefined)).then((r) => {
        st.reply = r;
        return r;
      });
    },
  };
}

/**
 * Races the script against the execution limit; when it passes, aborts the run and waits for the
 * script to stop, at most `graceMs` more.
 */
async function raceLimit(
  run: Promise<number>,
  ms: number,
  graceMs: number,
  abort: AbortController,
): Promise<number | 'timeout'> {
  const first = await withLimit(run, ms);
  if (first !== 'timeout') {
    return first;
  }
  abort.abort();
  await withLimit(
    run.catch(() => undefined),
    graceMs,
  );
  return 'timeout';
}

/** Options of one in-process run. */
export interface InProcessOptions {
  /** Dry run: tools are recorded here instead of being started. */
  readonly record?: (command: RecordedCommand) => void;
}

export async function runScriptInProcess(
  script: StockScript,
  inv: ScriptInvocation,
  now: () => number,
  opts: InProcessOptions = {},
): Promise<ScriptOutcome> {
  const startedAt = now();
  const st: ChannelState = {
    handshake: inv.mode === 'add' ? 'eof' : 'none',
    firstLine: undefined,
    reply: undefined,
    pendingReply: undefined,
    delivered: false,
  };
  const host = { home: inv.home, argv0: inv.program, now: () => new Date(now()) };
  const abort = new AbortController();
  const scope = { signal: abort.signal, ...(opts.record === undefined ? {} : { record: opts.record }) };
  // Once aborted, every tool the script starts fails at once: it can apply no decision any more.
  const stopped = (): boolean => abort.signal.aborted;
  let code: number | 'timeout';
  let error: string | undefined;
  try {
    const run = runInToolScope(scope, () => runStockScript(script, makeChannel(inv, st, stopped), host));
    code = await raceLimit(run, inv.limits.execMs, inv.limits.killGraceMs, abort);
  } catch (err: unknown) {
    code = 255;
    error = errorMessage(err);
  }
  // A decision still being taken (waiting for its key's turn) completes before we report, as with
  // a spawned script: the caller releases what the decision acquired once we return.
  await st.pendingReply?.catch(() => undefined);
  return {
    exitCode: code === 'timeout' ? null : code,
    signal: null,
    timedOut: code === 'timeout',
    handshake: st.handshake,
    firstLine: st.firstLine,
    reply: st.reply,
    stderrTail: error ?? '',
    spawnError: undefined,
    startedAt,
    endedAt: now(),
  };
}
