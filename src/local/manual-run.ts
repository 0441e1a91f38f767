/**
 * Builds the message for a manual run (`riposte ar run`, like Wazuh's `agent_control -b`,
 * reference §1.9): `{"version":1,"origin":{"name":"","module":""},"command":<ar name>,
 * "parameters":{"extra_args":[...],"alert":{...}}}`. Unlike agent_control, the srcip and user are
 * validated first (strict IP parsing; analysisd's user character set), so a manual run cannot
 * smuggle what an alert could not.
 *
 * Pure.
 */
import { SAFE_DSTUSER } from '../core/match/crafted-input.js';
import { parseIp } from '../core/net/ip.js';
import { isJsonObject, type JsonObject } from '../protocol/json.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

export interface ManualRunRequest {
  /** AR name from ar.conf (e.g. "firewall-drop600") or "!script" for a custom one. */
  readonly name: string;
  readonly srcip?: string | undefined;
  readonly user?: string | undefined;
  /** A whole alert to send (srcip/user, when given, are set into its `data`). */
  readonly alert?: JsonObject | undefined;
}

function invalid(message: string): RiposteError {
  return new RiposteError(ErrorCode.REQUEST_INVALID, message);
}

function alertFor(req: ManualRunRequest): JsonObject {
  const alert: JsonObject = req.alert ? structuredClone(req.alert) : {};
  const data: JsonObject = isJsonObject(alert['data']) ? alert['data'] : {};
  if (req.srcip !== undefined) {
    if (!parseIp(req.srcip)) {
      throw invalid(`Cannot run "${req.name}": "${req.srcip}" is not an IP address`);
    }
    data['srcip'] = req.srcip;
  }
  if (req.user !== undefined) {
    if (req.user === '' || !SAFE_DSTUSER.test(req.user)) {
      throw invalid(`Cannot run "${req.name}": "${req.user}" is not a valid user name`);
    }
    data['dstuser'] = req.user;
  }
  alert['data'] = data;
  return alert;
}

/** @throws RiposteError REQUEST_INVALID for a bad name, srcip or user. */
export function manualRunMessage(req: ManualRunRequest, extraArgs: readonly string[]): JsonObject {
  if (req.name === '' || /\s/.test(req.name)) {
    throw invalid(`Cannot run "${req.name}": not a valid active response name`);
  }
  return {
    version: 1,
    origin: { name: '', module: '' },
    command: req.name,
    parameters: { extra_args: [...extraArgs], alert: alertFor(req) },
  };
}
