/**
 * notify: posts the alert to an HTTP endpoint. Stateless (no check_keys).
 *
 * Input:  parameters.alert (object), parameters.extra_args: `<url> [--format slack|json] [--timeout 5s]`
 *         (notify/options.ts).
 * Effect: one POST of `slack` = Wazuh's wazuh-slack payload (notify/slack-payload.ts), or `json` =
 *         `{"command":"add"|"delete","alert":{...}}`. Sent on add and on delete (a delete only exists
 *         when the response has a timeout), as wazuh-slack does per the reference.
 * Exit:   0 on a 2xx reply; 255 on missing alert/URL, bad options, network error, timeout, non-2xx.
 * Also shipped as `wazuh-slack` (Wazuh's name), which always posts the Slack payload.
 * Logs:   `Cannot read 'alert' from data`, `Cannot read 'extra_args' from data` (Wazuh's lines),
 *         `Invalid extra_args: <why>`, `Unable to post to '<origin>': <why>`, `Posted to '<origin>': HTTP <n>`.
 *         Only the URL's origin is logged: webhook paths carry secrets.
 */
import { isJsonObject, type JsonObject } from '../protocol/json.js';
import type { ArEnvelope } from '../protocol/ar-message.js';
import { extraArgsOf } from './contract/run-stock-script.js';
import {
  ScriptFailure,
  type StockContext,
  type StockInputResult,
  type StockScript,
} from './contract/stock-script.js';
import { parseNotifyOptions, type NotifyFormat, type NotifyOptions } from './notify/options.js';
import { postJson } from './notify/post-json.js';
import { slackPayload } from './notify/slack-payload.js';

function alertOf(message: ArEnvelope): JsonObject | undefined {
  const alert = message.parameters['alert'];
  return isJsonObject(alert) ? alert : undefined;
}

function validate(message: ArEnvelope): StockInputResult {
  if (alertOf(message) === undefined) {
    return { ok: false, log: "Cannot read 'alert' from data" };
  }
  const args = extraArgsOf(message);
  if (args.length === 0) {
    return { ok: false, log: "Cannot read 'extra_args' from data" };
  }
  const parsed = parseNotifyOptions(args);
  return parsed.ok ? { ok: true, key: undefined } : { ok: false, log: `Invalid extra_args: ${parsed.error}` };
}

/** The request body for the chosen format. */
export function notifyBody(options: NotifyOptions, command: string, alert: JsonObject): string {
  return JSON.stringify(options.format === 'slack' ? slackPayload(alert) : { command, alert });
}

async function send(ctx: StockContext, forceFormat?: NotifyFormat): Promise<void> {
  const parsed = parseNotifyOptions(ctx.extraArgs);
  const alert = alertOf(ctx.message);
  if (!parsed.ok || alert === undefined) {
    throw new ScriptFailure('Invalid extra_args');
  }
  const options = forceFormat === undefined ? parsed.options : { ...parsed.options, format: forceFormat };
  const origin = options.url.origin;
  const body = notifyBody(options, ctx.message.command, alert);
  const result = await postJson({ url: options.url, body, timeoutMs: options.timeoutMs });
  if (!result.ok) {
    throw new ScriptFailure(`Unable to post to '${origin}': ${result.error}`);
  }
  if (result.status < 200 || result.status > 299) {
    throw new ScriptFailure(`Unable to post to '${origin}': HTTP ${result.status}`);
  }
  ctx.log(`Posted to '${origin}': HTTP ${result.status}`);
}

export const notify: StockScript = {
  name: 'notify',
  stateful: false,
  input: validate,
  add: (ctx) => send(ctx),
  delete: (ctx) => send(ctx),
};

/**
 * `wazuh-slack`, Wazuh's name (reference §4.1): notify with the Slack payload always, so an ossec.conf
 * written for Wazuh (`<executable>wazuh-slack</executable>`, the webhook URL in `<extra_args>`) runs
 * unchanged.
 */
export const wazuhSlack: StockScript = {
  name: 'wazuh-slack',
  stateful: false,
  input: validate,
  add: (ctx) => send(ctx, 'slack'),
  delete: (ctx) => send(ctx, 'slack'),
};
