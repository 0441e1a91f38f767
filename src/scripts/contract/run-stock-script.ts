/**
 * The Wazuh script-library skeleton (reference §4 and §5), implemented once for every stock script.
 *
 * Order (Wazuh 4.14.7):
 *   log "Starting"; read one line (EOF -> "Cannot read input from stdin", 255); log it raw;
 *   lenient parse + envelope check (else "Invalid input format", 255);
 *   command add|delete (else "Invalid value of 'command'", 255);
 *   script.input() validation (its log line, 255) - before any handshake;
 *   add on a stateful script: print check_keys([key]) (logged), read the reply (logged):
 *     abort -> "Aborted", 0; continue -> act; anything else -> 255;
 *   act (ScriptFailure or any error -> its message, 255); log "Ended"; 0.
 *
 * Never throws: every outcome is an exit code. Exit 0 = success or abort, 255 = failure.
 */
import { buildCheckKeys, isArEnvelope, type ArEnvelope } from '../../protocol/ar-message.js';
import { parseLenientJson, type JsonValue } from '../../protocol/json.js';
import {
  SCRIPT_EXIT_FAILURE,
  SCRIPT_EXIT_OK,
  type ScriptChannel,
  type ScriptHost,
} from '../../protocol/script-io.js';
import { appendArLog } from './ar-log.js';
import type { StockContext, StockScript } from './stock-script.js';
import { errorMessage } from '../../protocol/error-message.js';

/** Messages shared with Wazuh's library, kept byte-exact. */
export const ArLogMessage = {
  STARTING: 'Starting',
  ENDED: 'Ended',
  ABORTED: 'Aborted',
  NO_INPUT: 'Cannot read input from stdin',
  INVALID_INPUT: 'Invalid input format',
  INVALID_COMMAND: "Invalid value of 'command'",
} as const;

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: number };

const fail = <T>(): Outcome<T> => ({ ok: false, code: SCRIPT_EXIT_FAILURE });

/** Reads one line, logs it raw, checks the envelope and that command is one of `allowed`. */
async function readMessage(
  channel: ScriptChannel,
  log: (msg: string) => void,
  allowed: readonly string[],
): Promise<Outcome<ArEnvelope>> {
  const line = await channel.readLine();
  if (line === undefined) {
    log(ArLogMessage.NO_INPUT);
    return fail();
  }
  return checkMessage(line, log, allowed);
}

/** Logs `line` raw, checks the envelope and that command is one of `allowed` (the batch skeleton shares it). */
export function checkMessage(
  line: string,
  log: (msg: string) => void,
  allowed: readonly string[],
): Outcome<ArEnvelope> {
  log(line);
  return checkParsed(parseLenientJson(line), log, allowed);
}

/**
 * The checks of {@link checkMessage} on a line's parsed value (the batch skeleton passes the
 * message a line was serialised from, instead of parsing the line back).
 */
export function checkParsed(
  parsed: JsonValue | undefined,
  log: (msg: string) => void,
  allowed: readonly string[],
): Outcome<ArEnvelope> {
  if (!isArEnvelope(parsed)) {
    log(ArLogMessage.INVALID_INPUT);
    return fail();
  }
  if (!allowed.includes(parsed.command)) {
    log(ArLogMessage.INVALID_COMMAND);
    return fail();
  }
  return { ok: true, value: parsed };
}

/** `basename(argv0)`: the origin name Wazuh puts in check_keys. */
export function scriptBasename(argv0: string): string {
  return argv0.slice(argv0.lastIndexOf('/') + 1);
}

/** Sends check_keys and reads the reply: true = continue, false = abort (already logged), or a failure. */
async function handshake(
  channel: ScriptChannel,
  host: ScriptHost,
  key: string | undefined,
): Promise<Outcome<boolean>> {
  const log = (msg: string): void => {
    appendArLog(host, msg);
  };
  const line = JSON.stringify(buildCheckKeys(scriptBasename(host.argv0), key === undefined ? [] : [key]));
  log(line);
  channel.writeLine(line);
  const reply = await readMessage(channel, log, ['continue', 'abort']);
  if (!reply.ok) {
    return reply;
  }
  return { ok: true, value: reply.value.command === 'continue' };
}

/** String items of parameters.extra_args (non-strings skipped, as Wazuh does). */
export function extraArgsOf(message: ArEnvelope): string[] {
  const extra = message.parameters['extra_args'];
  return Array.isArray(extra) ? extra.filter((x): x is string => typeof x === 'string') : [];
}

/** Runs add or delete; failures are logged with their message. */
async function act(script: StockScript, ctx: StockContext, isAdd: boolean): Promise<number> {
  try {
    await (isAdd ? script.add(ctx) : script.delete(ctx));
  } catch (err) {
    ctx.log(errorMessage(err));
    return SCRIPT_EXIT_FAILURE;
  }
  ctx.log(ArLogMessage.ENDED);
  return SCRIPT_EXIT_OK;
}

/**
 * Runs `script` over `channel` for one execution and returns its exit code (0 or 255).
 * The caller (standalone main or the agent) owns the channel and the process exit.
 */
export async function runStockScript(
  script: StockScript,
  channel: ScriptChannel,
  host: ScriptHost,
): Promise<number> {
  const log = (msg: string): void => {
    appendArLog(host, msg);
  };
  log(ArLogMessage.STARTING);
  const msg = await readMessage(channel, log, ['add', 'delete']);
  if (!msg.ok) {
    return msg.code;
  }
  const input = script.input(msg.value);
  if (!input.ok) {
    log(input.log);
    return SCRIPT_EXIT_FAILURE;
  }
  const isAdd = msg.value.command === 'add';
  if (isAdd && script.stateful) {
    const go = await handshake(channel, host, input.key);
    if (!go.ok) {
      return go.code;
    }
    if (!go.value) {
      log(ArLogMessage.ABORTED);
      return SCRIPT_EXIT_OK;
    }
  }
  const ctx: StockContext = {
    message: msg.value,
    key: input.key,
    extraArgs: extraArgsOf(msg.value),
    log,
    host,
  };
  return act(script, ctx, isAdd);
}
