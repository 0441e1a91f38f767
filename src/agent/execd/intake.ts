/**
 * Validates one message received by execd (reference §2.3) and turns it into an add job, logging
 * exactly what Wazuh's execd logs when it is not one. An invalid message is logged and dropped;
 * nothing else happens (the daemon and every other execution are unaffected).
 */
import { isJsonObject, parseLenientJson, type JsonObject } from '../../protocol/json.js';
import type { CommandResolver } from '../command-resolver.js';
import type { DaemonLog } from '../../log/daemon-log.js';
import type { AddJob } from './run-add.js';

/** Exact command name Wazuh's Linux execd special-cases (runs restart.sh, not ar.conf). */
const RESTART_COMMAND = 'restart-wazuh';

export type IntakeResult =
  | { readonly ok: true; readonly job: AddJob }
  | {
      readonly ok: false;
      readonly reason: 'invalid-json' | 'invalid-command' | 'unknown' | 'not-present' | 'rejected';
    };

function parseMessage(raw: string, log: DaemonLog): (JsonObject & { command: string }) | undefined {
  const parsed = parseLenientJson(raw);
  if (!isJsonObject(parsed)) {
    log.error(`(1315): Invalid JSON message: '${raw}'`);
    return undefined;
  }
  if (typeof parsed['command'] !== 'string') {
    log.error(`(1316): Invalid AR command: '${raw}'`);
    return undefined;
  }
  return parsed as JsonObject & { command: string };
}

/**
 * Parses and resolves `raw`. `restart-wazuh` (exact) resolves to the program of the same name
 * (Riposte installs its restart script under it), stateless.
 */
export function intake(raw: string, resolver: CommandResolver, log: DaemonLog): IntakeResult {
  log.debug(`Received message: '${raw}'`);
  const message = parseMessage(raw, log);
  if (!message) {
    return { ok: false, reason: 'invalid-json' };
  }
  const name = message.command;
  if (name === RESTART_COMMAND) {
    const program = `active-response/bin/${RESTART_COMMAND}`;
    return { ok: true, job: { message, arName: name, program, timeoutSec: 0 } };
  }
  const found = resolver.resolve(name);
  switch (found.kind) {
    case 'found':
    case 'custom':
      return { ok: true, job: { message, arName: name, program: found.program, timeoutSec: found.timeout } };
    case 'unknown':
      log.error(`(1311): Invalid command name '${name}' provided.`);
      return { ok: false, reason: 'unknown' };
    case 'not-present':
      log.debug(`Active response command '${name}' is not present on this system. Ignoring.`);
      return { ok: false, reason: 'not-present' };
    case 'rejected':
      log.warn(found.log);
      return { ok: false, reason: 'rejected' };
  }
}
