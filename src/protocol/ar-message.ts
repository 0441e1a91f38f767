/**
 * The Wazuh 4.2+ active-response JSON message (reference §1.2-§1.5) and the edits execd makes to it.
 *
 * Wire contract, in key order:
 *   {"version":1,"origin":{"name":N,"module":M},"command":C,"parameters":{"extra_args":[...],"alert":{...}}}
 * The manager (analysisd) builds it with module "wazuh-analysisd" and command = AR name; execd
 * rewrites command (add/delete/continue/abort), origin.module ("wazuh-execd") and appends
 * parameters.program, keeping every other key and the key order.
 *
 * Pure: no I/O.
 */
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';

/** The structurally valid envelope (`get_json_from_input` in Wazuh's script library). */
export interface ArEnvelope extends JsonObject {
  version: number;
  origin: JsonObject;
  command: string;
  parameters: JsonObject;
}

/** Commands execd writes to a script's stdin. */
export type ScriptCommand = 'add' | 'delete' | 'continue' | 'abort';

/** True when `v` passes Wazuh's envelope check: version number, origin object, command string, parameters object. */
export function isArEnvelope(v: JsonValue | undefined): v is ArEnvelope {
  return (
    isJsonObject(v) &&
    typeof v['version'] === 'number' &&
    isJsonObject(v['origin']) &&
    typeof v['command'] === 'string' &&
    isJsonObject(v['parameters'])
  );
}

export interface BuildArMessageInput {
  /**
   * `origin.name`: analysisd writes `<cluster><node_name>`, or "undefined" when absent (its
   * literal); the API writes the node name, or null without one (reference §1.9).
   */
  readonly nodeName: string | null;
  /** AR name: command name + timeout, e.g. "firewall-drop600". */
  readonly arName: string;
  readonly extraArgs: readonly string[];
  readonly alert: JsonObject;
  /** @default "wazuh-analysisd" */
  readonly module?: string;
  /**
   * A dry run (`PUT /active-response?dry_run=true`, `riposte ar run --dry-run`): marked in the
   * message as `origin.dry_run: true`, so it travels with the durable order to the agent, whose
   * execd then decides, records and logs as usual but runs the dry-run executor (nothing touches
   * the host). Riposte's extension; Wazuh never sets it.
   */
  readonly dryRun?: boolean;
}

/** True for a message built with {@link BuildArMessageInput.dryRun}. */
export function isDryRunMessage(msg: JsonObject): boolean {
  const origin = msg['origin'];
  return isJsonObject(origin) && origin['dry_run'] === true;
}

/** The message analysisd sends for one (alert, AR) pair, keys in Wazuh's order. */
export function buildArMessage(input: BuildArMessageInput): ArEnvelope {
  const origin: JsonObject = { name: input.nodeName, module: input.module ?? 'wazuh-analysisd' };
  if (input.dryRun === true) {
    origin['dry_run'] = true;
  }
  return {
    version: 1,
    origin,
    command: input.arName,
    parameters: { extra_args: [...input.extraArgs], alert: input.alert },
  };
}

/**
 * execd's stdin rewrite (§1.3): a copy with `command` replaced in place, `origin.module` replaced
 * by "wazuh-execd" and `parameters.program` set to the executable's relative path. Unknown keys and
 * key order are kept. `msg` is not changed. Only the objects on the edited paths are copied (this
 * runs several times per execution of a burst); the rest (the alert, extra_args) is shared with
 * `msg`, so treat both as read-only (they are serialised, never edited, by every caller).
 */
export function rewriteForScript(msg: JsonObject, command: ScriptCommand, program: string): JsonObject {
  const copy: JsonObject = { ...msg };
  copy['command'] = command;
  const origin = copy['origin'];
  // Replaced where it is (cJSON_ReplaceItemInObject): an origin without `module` gets none.
  if (isJsonObject(origin) && 'module' in origin) {
    copy['origin'] = { ...origin, module: 'wazuh-execd' };
  }
  const params = copy['parameters'];
  if (isJsonObject(params)) {
    copy['parameters'] = { ...params, program };
  }
  return copy;
}

/**
 * Same message with only `command` replaced (used for the continue/abort reply and the delete copy).
 * A shallow copy: nested values are shared with `msg` (read-only, as for {@link rewriteForScript}).
 */
export function withCommand(msg: JsonObject, command: ScriptCommand): JsonObject {
  const copy: JsonObject = { ...msg };
  copy['command'] = command;
  return copy;
}

const ADD_PAIR = '"command":"add"';

/**
 * `addLine` (JSON.stringify of a message whose `command` is "add") with `command` replaced: the
 * same text JSON.stringify(withCommand(message, command)) gives, without serialising the message
 * again (a burst needs three lines per add: add, delete and the reply). Exact when the pair
 * `"command":"add"` occurs once: that occurrence is then the top-level one (its quotes are not
 * escaped, so it is not inside a string, and the top-level pair is certainly there). Otherwise
 * undefined (the caller serialises).
 */
export function lineWithCommand(addLine: string, command: ScriptCommand): string | undefined {
  const at = addLine.indexOf(ADD_PAIR);
  if (at < 0 || addLine.includes(ADD_PAIR, at + ADD_PAIR.length)) {
    return undefined;
  }
  return `${addLine.slice(0, at)}"command":"${command}"${addLine.slice(at + ADD_PAIR.length)}`;
}

/** The `check_keys` line a stateful script prints (§1.4). */
export function buildCheckKeys(scriptName: string, keys: readonly string[]): ArEnvelope {
  return {
    version: 1,
    origin: { name: scriptName, module: 'active-response' },
    command: 'check_keys',
    parameters: { keys: [...keys] },
  };
}

/**
 * The keys a script announced, or undefined when the line is not a valid `check_keys` envelope.
 * Non-string items are skipped, as Wazuh does.
 */
export function keysOfCheckKeys(v: JsonValue | undefined): string[] | undefined {
  if (!isArEnvelope(v) || v.command !== 'check_keys') {
    return undefined;
  }
  const keys = v.parameters['keys'];
  if (!Array.isArray(keys)) {
    return undefined;
  }
  return keys.filter((k): k is string => typeof k === 'string');
}

/** Wazuh's key buffer (OS_SIZE_4096): keys and rkey hold at most 4095 bytes plus the NUL. */
const KEY_BUFFER_BYTES = 4096;

/** Wazuh's warning when keys do not fit (reference §2.3, §2.8). */
export const KEY_TOO_LONG_WARNING = 'Active response key exceeds maximum size (4096). Truncating keys.';

/** The first `max` bytes of `s` as UTF-8, without a partial character at the end. */
function utf8Prefix(s: string, max: number): string {
  const cut = Buffer.from(s, 'utf8').subarray(0, max).toString('utf8');
  return cut.endsWith('\uFFFD') && !s.startsWith(cut) ? cut.slice(0, -1) : cut;
}

/**
 * rkey = script basename + "-" + each key (§2.3); basename alone when there are no keys. As Wazuh:
 * the keys are joined ("-k1-k2") only while they fit in the 4096-byte buffer, so a key that does not
 * fit is dropped whole with the ones after it (a repeat of `[k1, <5000 bytes>]` is the same rkey as
 * `[k1]`, hence an `abort`); then basename + keys is cut to 4095 bytes. `warn` gets Wazuh's warning
 * whenever something was dropped or cut.
 */
export function responseKey(
  basename: string,
  keys: readonly string[] | undefined,
  warn?: (message: string) => void,
): string {
  let suffix = '';
  let cut = false;
  for (const k of keys ?? []) {
    const part = `-${k}`;
    if (Buffer.byteLength(suffix) + Buffer.byteLength(part) >= KEY_BUFFER_BYTES) {
      cut = true;
      break;
    }
    suffix += part;
  }
  let key = basename + suffix;
  if (Buffer.byteLength(key) >= KEY_BUFFER_BYTES) {
    key = utf8Prefix(key, KEY_BUFFER_BYTES - 1);
    cut = true;
  }
  if (cut) {
    warn?.(KEY_TOO_LONG_WARNING);
  }
  return key;
}
