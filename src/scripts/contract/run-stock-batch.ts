/**
 * The Wazuh script-library skeleton (run-stock-script.ts) for a batch of executions of one stock
 * script run in-process: each execution writes the same active-responses.log lines, in the same
 * order, as when it runs alone; only the OS work is grouped.
 *
 * Phases:
 *   1. per execution: "Starting", the line, envelope/command/input checks, and for a stateful add
 *      the check_keys line (what the script would print);
 *   2. ONE call to `decide` with every execution's check_keys line (undefined where there is none):
 *      the agent decides the whole batch and commits it in one store transaction, then returns each
 *      reply line (continue/abort), undefined where it has none;
 *   3. the replies are checked and logged ("Aborted" for abort);
 *   4. every execution left to act goes through the script's batch form in one call, in order;
 *      each then logs "Ended" or its own failure message.
 * Never throws (but `decide` may: then nothing was applied and the error is passed on).
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
}

/**
 * A line for the script. The agent, which serialised the line from a message itself, may pass that
 * message (and the script's input() result on it, which must be pure): the skeleton then checks it
 * without parsing the line back. It is logged exactly the same.
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

/** Replies, one per execution, for the check_keys lines (undefined = no handshake for that one). */
export type BatchDecide = (
  checkKeys: readonly (CheckKeysLine | undefined)[],
) => readonly (BatchReply | undefined)[];

type Stage =
  | { readonly kind: 'done'; readonly exitCode: number; readonly error: string | undefined }
  | { readonly kind: 'act'; readonly item: StockBatchItem<StockContext> };

interface Pending {
  stage: Stage;
  readonly checkKeys: CheckKeysLine | undefined;
  reply: string | undefined;
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

/** Phase 1 for one line. */
function prepare(script: StockScript, line: BatchLine, host: ScriptHost): Pending {
  const log = (msg: string): void => {
    appendArLog(host, msg);
  };
  log(ArLogMessage.STARTING);
  const msg = checkLine(line, log, ['add', 'delete']);
  if (!msg.ok) {
    return { stage: failed(), checkKeys: undefined, reply: undefined };
  }
  const input = (typeof line === 'string' ? undefined : line.input) ?? script.input(msg.value);
  if (!input.ok) {
    log(input.log);
    return { stage: failed(input.log), checkKeys: undefined, reply: undefined };
  }
  const mode = msg.value.command === 'add' ? 'add' : 'delete';
  const ctx: StockContext = {
    message: msg.value,
    key: input.key,
    extraArgs: extraArgsOf(msg.value),
    log,
    host,
  };
  let checkKeys: CheckKeysLine | undefined;
  if (mode === 'add' && script.stateful) {
    const keys = input.key === undefined ? [] : [input.key];
    checkKeys = { line: JSON.stringify(buildCheckKeys(scriptBasename(host.argv0), keys)), keys };
    log(checkKeys.line);
  }
  return { stage: { kind: 'act', item: { mode, ctx } }, checkKeys, reply: undefined };
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
  // Each synchronous step writes its log lines in one go (ar-log.ts), before the next step.
  const pending = inOneArLogWrite(() => lines.map((line) => prepare(script, line, host)));
  const replies = decide(pending.map((p) => p.checkKeys));
  inOneArLogWrite(() => {
    pending.forEach((p, i) => {
      if (p.checkKeys !== undefined) {
        answer(p, replies[i], host);
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
  }));
}
