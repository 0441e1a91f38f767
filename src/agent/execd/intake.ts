/**
 * Validates one message received by execd (reference §2.3) and turns it into an add job, logging
 * exactly what Wazuh's execd logs when it is not one. An invalid message is logged and dropped;
 * nothing else happens (the daemon and every other execution are unaffected).
 */
import { recordRejection, LogRateLimit } from '../../protocol/input-rejections.js';
import { checkJsonBounds, describeViolation, excerpt, INPUT_BOUNDS } from '../../protocol/json-bounds.js';
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
      readonly reason: 'invalid-json' | 'invalid-command' | 'unknown' | 'rejected';
    }
  /** ar.conf names an executable that is not there: recorded as a failed execution (record-absent.ts). */
  | { readonly ok: false; readonly reason: 'not-present'; readonly job: AddJob };

/**
 * Bad messages are logged with an excerpt only (never in full: 5,000 x 64 KiB of garbage must not
 * become 330 MB of log) and at most 10 lines per 10 s, then a count of the suppressed ones.
 */
const badMessageLog = new LogRateLimit(10, 10_000);

function logBadMessage(log: DaemonLog, line: string): void {
  const { log: allowed, summary } = badMessageLog.allow(Date.now());
  if (summary > 0) {
    log.error(`${summary} similar invalid messages were not logged (rate limit).`);
  }
  if (allowed) {
    log.error(line);
  }
}

function parseMessage(raw: string, log: DaemonLog): (JsonObject & { command: string }) | undefined {
  // The bound comes first: nothing recursive may see a message nested thousands deep (issue 13.1).
  const violation = checkJsonBounds(raw, INPUT_BOUNDS.arMessage);
  if (violation) {
    recordRejection('execq', violation.kind);
    logBadMessage(log, `(1315): Invalid JSON message (${describeViolation(violation)}): '${excerpt(raw)}'`);
    return undefined;
  }
  const parsed = parseLenientJson(raw);
  if (parsed === undefined) {
    recordRejection('execq', 'invalid');
    logBadMessage(log, `(1315): Invalid JSON message: '${excerpt(raw)}'`);
    return undefined;
  }
  // JSON that is no object (`[...]`, `"add"`, `null`) parses, and has no string `command`: 1316,
  // as execd's cJSON_GetObjectItem finds none (reference §2.3).
  if (!isJsonObject(parsed) || typeof parsed['command'] !== 'string') {
    recordRejection('execq', 'invalid');
    logBadMessage(log, `(1316): Invalid AR command: '${excerpt(raw)}'`);
    return undefined;
  }
  return parsed as JsonObject & { command: string };
}

/**
 * Parses and resolves `raw`. `restart-wazuh` (exact) resolves to the program of the same name
 * (Riposte installs its restart script under it), stateless.
 */
export function intake(raw: string, resolver: CommandResolver, log: DaemonLog): IntakeResult {
  // Built only when logged: escaping every message of a burst costs ~8 µs each (issue #12 row 1).
  if (log.debugEnabled !== false) {
    log.debug(`Received message: '${excerpt(raw, 1024)}'`);
  }
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
      log.warn(`Active response command '${name}': '${found.program}' is not present on this system.`);
      return {
        ok: false,
        reason: 'not-present',
        job: { message, arName: name, program: found.program, timeoutSec: 0 },
      };
    case 'rejected':
      log.warn(found.log);
      return { ok: false, reason: 'rejected' };
  }
}
