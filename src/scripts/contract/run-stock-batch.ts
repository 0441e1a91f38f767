/**
 * The Wazuh script-library skeleton (run-stock-script.ts) for a batch of executions of one stock
 * script run in-process: each execution writes the same active-responses.log lines, in the same
 * order, as when it runs alone; only the OS work is grouped.
 *
 * Phases:
 *   1. per execution: "Starting", the line, envelope/command/input checks, and for a stateful add
 *      the check_keys line (what the script would print); held back until phase 3 for a line
 *      passed as text (one that `decide` may answer NOT_RUN), written at once otherwise;
 *   2. ONE call to `decide` with every execution's check_keys line (undefined where there is none):
 *      the agent decides the whole batch and commits it in one store transaction, then returns each
 *      reply line (continue/abort), undefined where it has none, or {@link NOT_RUN} for an
 *      execution that would not have started at all (a delete of what an earlier execution of the
 *      batch left inactive: run one by one, its script would not run);
 *   3. the held phase-1 lines, in order (none for an execution not run), then each reply checked
 *      and logged ("Aborted" for abort);
 *   4. every execution left to act goes through the script's batch form in one call, in order;
 *      each then logs "Ended" or its own failure message.
 * Never throws (but `decide` may: then nothing was applied, the phase-1 lines are written and the
 * error is passed on).
 */
import { buildCheckKeys, type ArEnvelope } from '../../protocol/ar-message.js';
import { SCRIPT_EXIT_FAILURE, SCRIPT_EXIT_OK, type ScriptHost } from '../../protocol/script-io.js';
import { appendArLog, inOneArLogWrite } from './ar-log.js';
import {
  ArLogMessage,
  checkMessage,
  checkParsed,
  extraArgsOf,
  scriptBasename,
  type Outcome,
} from './run-stock-script.js';
import { concurrentBatch, type StockBatchItem, type StockBatchResult } from './stock-batch.js';
import type { StockContext, StockInputResult, StockScript } from './stock-script.js';
import { errorMessage } from '../../protocol/error-message.js';

/** What happened to one execution of the batch (the in-process twin of a script run's outcome). */
export interface BatchItemOutcome {
  readonly exitCode: number;
  /** none: no handshake (delete, stateless, or input refused); line: check_keys was sent. */
  readonly handshake: 'none' | 'line';
  readonly firstLine: string | undefined;
  readonly reply: string | undefined;
  /** The failure message logged, when the execution failed. */
  readonly error: string | undefined;
  /**
   * False for an execution `decide` answered {@link NOT_RUN}: nothing applied, and nothing logged
   * when its line was passed as text (see {@link BatchLine}).
   */
  readonly ran: boolean;
}

/**
 * A line for the script. The agent, which serialised the line from a message itself, may pass that
 * message (and the script's input() result on it, which must be pure): the skeleton then checks it
 * without parsing the line back. It is logged exactly the same, but at once: only a line passed as
 * text has its phase-1 lines held until the decision, so that NOT_RUN leaves no line of it (a
 * burst of adds, passed with their messages, holds nothing).
 */
export type BatchLine =
  string | { readonly line: string; readonly message: ArEnvelope; readonly input?: StockInputResult };

/** A check_keys line as the script prints it, with the keys it carries. */
export interface CheckKeysLine {
  readonly line: string;
  readonly keys: readonly string[];
}

/** A reply line; as for {@link BatchLine}, with the message it was serialised from, if any. */
export type BatchReply = string | { readonly line: string; readonly message: ArEnvelope };

/**
 * What `decide` answers for an execution the batch drops: it goes to no batch form and ends with
 * exit code 0 and `ran: false` (the agent records nothing for it); passed as text, it logs nothing.
 */
export const NOT_RUN: unique symbol = Symbol('not run');

/**
 * Replies, one per execution, for the check_keys lines (undefined = no handshake for that one), or
 * {@link NOT_RUN} for an execution not to run at all.
 */
export type BatchDecide = (
  checkKeys: readonly (CheckKeysLine | undefined)[],
) => readonly (BatchReply | typeof NOT_RUN | undefined)[];

type Stage =
  | { readonly kind: 'done'; readonly exitCode: number; readonly error: string | undefined }
  | { readonly kind: 'act'; readonly item: StockBatchItem<StockContext> };

interface Pending {
  stage: Stage;
  checkKeys: CheckKeysLine | undefined;
  reply: string | undefined;
  /**
   * Its phase-1 lines: `held[from..to)` of the batch (one array for all: an execution's lines are
   * contiguous, prepare being synchronous), until released; then its lines go straight out.
   */
  readonly from: number;
  to: number;
  released: boolean;
  ran: boolean;
}

/** Writes `p`'s held phase-1 lines (in the caller's inOneArLogWrite); later lines go straight out. */
function release(p: Pending, held: readonly string[], host: ScriptHost): void {
  for (let i = p.from; i < p.to; i++) {
    appendArLog(host, held[i] ?? '');
  }
  p.released = true;
}

const failed = (error?: string): Stage => ({ kind: 'done', exitCode: SCRIPT_EXIT_FAILURE, error });

/** Logs `line` and checks it (parsed, unless the agent passed its message). */
function checkLine(
  line: BatchLine | BatchReply,
  log: (msg: string) => void,
  allowed: readonly string[],
): Outcome<ArEnvelope> {
  if (typeof line === 'string') {
    return checkMessage(line, log, allowed);
  }
  log(line.line);
  return checkParsed(line.message, log, allowed);
}

/** Phase 1 for one line (its lines appended to `held`). */
function prepare(script: StockScript, line: BatchLine, host: ScriptHost, held: string[]): Pending {
  const p: Pending = {
    stage: failed(),
    checkKeys: undefined,
    reply: undefined,
    from: held.length,
    to: held.length,
    // Only a line passed as text is held (see BatchLine); one passed with its message logs at once.
    released: typeof line !== 'string',
    ran: true,
  };
  const log = (msg: string): void => {
    if (p.released) {
      appendArLog(host, msg);
    } else {
      p.to = held.push(msg);
    }
  };
  log(ArLogMessage.STARTING);
  const msg = checkLine(line, log, ['add', 'delete']);
  if (!msg.ok) {
    return p;
  }
  const input = (typeof line === 'string' ? undefined : line.input) ?? script.input(msg.value);
  if (!input.ok) {
    log(input.log);
    p.stage = failed(input.log);
    return p;
  }
  const mode = msg.value.command === 'add' ? 'add' : 'delete';
  const ctx: StockContext = {
    message: msg.value,
    key: input.key,
    extraArgs: extraArgsOf(msg.value),
    log,
    host,
  };
  if (mode === 'add' && script.stateful) {
    const keys = input.key === undefined ? [] : [input.key];
    p.checkKeys = { line: JSON.stringify(buildCheckKeys(scriptBasename(host.argv0), keys)), keys };
    log(p.checkKeys.line);
  }
  p.stage = { kind: 'act', item: { mode, ctx } };
  return p;
}

/** Phase 3 for one execution that sent check_keys. */
function answer(p: Pending, reply: BatchReply | undefined, host: ScriptHost): void {
  p.reply = typeof reply === 'string' ? reply : reply?.line;
  if (p.stage.kind !== 'act') {
    return;
  }
  const log = p.stage.item.ctx.log;
  if (reply === undefined) {
    log(ArLogMessage.NO_INPUT);
    p.stage = failed(ArLogMessage.NO_INPUT);
    return;
  }
  const checked = checkLine(reply, log, ['continue', 'abort']);
  if (!checked.ok) {
    p.stage = failed();
  } else if (checked.value.command === 'abort') {
    appendArLog(host, ArLogMessage.ABORTED);
    p.stage = { kind: 'done', exitCode: SCRIPT_EXIT_OK, error: undefined };
  }
}

/** Phase 4: the batch form over every execution still to act. */
async function act(script: StockScript, pending: readonly Pending[], signal: AbortSignal): Promise<void> {
  const acting: Pending[] = [];
  const items: StockBatchItem<StockContext>[] = [];
  for (const p of pending) {
    if (p.stage.kind === 'act') {
      acting.push(p);
      items.push(p.stage.item);
    }
  }
  if (items.length === 0) {
    return;
  }
  let results: StockBatchResult[];
  try {
    results = await (script.batch ? script.batch(items, signal) : concurrentBatch(script)(items));
  } catch (err) {
    const why = errorMessage(err);
    results = items.map(() => why);
  }
  inOneArLogWrite(() => {
    acting.forEach((p, i) => {
      const error = i < results.length ? results[i] : 'Unable to run active response (no result).';
      items[i]?.ctx.log(error ?? ArLogMessage.ENDED);
      p.stage =
        error === undefined ? { kind: 'done', exitCode: SCRIPT_EXIT_OK, error: undefined } : failed(error);
    });
  });
}

export interface BatchRunOptions {
  readonly host: ScriptHost;
  readonly decide: BatchDecide;
  /** Aborted when the agent stops waiting (passed to the batch form). */
  readonly signal: AbortSignal;
}

/** Runs `lines` (add/delete messages) as one batch of `script`; one outcome per line, in order. */
export async function runStockBatch(
  script: StockScript,
  lines: readonly BatchLine[],
  opts: BatchRunOptions,
): Promise<BatchItemOutcome[]> {
  const { host, decide, signal } = opts;
  // Each synchronous step writes its log lines in one go (ar-log.ts); phase 3 writes the held ones.
  const held: string[] = [];
  const pending = inOneArLogWrite(() => lines.map((line) => prepare(script, line, host, held)));
  let replies: ReturnType<BatchDecide>;
  try {
    replies = decide(pending.map((p) => p.checkKeys));
  } catch (err) {
    inOneArLogWrite(() => {
      pending.forEach((p) => {
        release(p, held, host);
      });
    });
    throw err;
  }
  inOneArLogWrite(() => {
    // The held lines first, in order, then the replies: as when nothing is held (phase 1 then 3).
    pending.forEach((p, i) => {
      if (replies[i] === NOT_RUN) {
        p.released = true; // its held lines dropped
        p.ran = false;
        p.stage = { kind: 'done', exitCode: SCRIPT_EXIT_OK, error: undefined };
      } else {
        release(p, held, host);
      }
    });
    pending.forEach((p, i) => {
      const reply = replies[i];
      if (reply !== NOT_RUN && p.checkKeys !== undefined) {
        answer(p, reply, host);
      }
    });
  });
  await act(script, pending, signal);
  return pending.map((p) => ({
    exitCode: p.stage.kind === 'done' ? p.stage.exitCode : SCRIPT_EXIT_FAILURE,
    handshake: p.checkKeys === undefined ? 'none' : 'line',
    firstLine: p.checkKeys?.line,
    reply: p.reply,
    error: p.stage.kind === 'done' ? p.stage.error : undefined,
    ran: p.ran,
  }));
}
