/**
 * Runs a stock script in the agent's own process through the same library its standalone
 * executable uses, over an in-memory channel that behaves like execd's pipes:
 *   line 1 to the script: the add/delete message;
 *   the script's first written line is the handshake, answered through `decide`;
 *   any further read is end-of-input (execd closes stdin after the reply).
 * Saves a Node.js start-up per execution, which is what makes bursts of thousands of blocks cheap.
 * A stock script cannot be killed; the execution limit still bounds how long the agent waits for it.
 */
import { runStockScript } from '../../scripts/contract/run-stock-script.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import type { ScriptChannel } from '../../protocol/script-io.js';
import type { ScriptInvocation, ScriptOutcome, Handshake } from './spawn-script.js';

interface ChannelState {
  handshake: Handshake;
  firstLine: string | undefined;
  reply: string | undefined;
  pendingReply: Promise<string | undefined> | undefined;
  delivered: boolean;
}

function makeChannel(inv: ScriptInvocation, st: ChannelState): ScriptChannel {
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
      st.pendingReply = (inv.decide ? inv.decide(line) : Promise.resolve(undefined)).then((r) => {
        st.reply = r;
        return r;
      });
    },
  };
}

/** Races the script against the execution limit; a late script is reported as timed out. */
async function withLimit(run: Promise<number>, ms: number): Promise<number | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, ms);
  });
  try {
    return await Promise.race([run, limit]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runScriptInProcess(
  script: StockScript,
  inv: ScriptInvocation,
  now: () => number,
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
  let code: number | 'timeout';
  let error: string | undefined;
  try {
    code = await withLimit(runStockScript(script, makeChannel(inv, st), host), inv.limits.execMs);
  } catch (err: unknown) {
    code = 255;
    error = err instanceof Error ? err.message : String(err);
  }
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
