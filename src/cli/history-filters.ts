/**
 * `riposte ar history` filters: `--key`, `--status`, `--command`, `--alert-id`, `--since`, `--until`,
 * sent to `GET /executions`, where the daemon's store applies them over its whole history (a
 * manager's, `riposte start`'s and a bare agent's API alike). With `--follow`, the live feed is
 * filtered the same way here, one execution at a time.
 *
 * A time is ISO 8601, epoch ms, or a duration before now: `90s`, `15m`, `2h`, `7d`.
 */
import type { Command } from 'commander';
import type { ExecutionView } from '../api/routes/views.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { EXECUTION_STATUSES } from '../protocol/execution-records.js';
import { parseApiTime } from '../protocol/api-times.js';
import { programName } from '../core/program-name.js';

export interface HistoryFilterFlags {
  readonly key?: string | undefined;
  readonly status?: string | undefined;
  readonly command?: string | undefined;
  readonly alertId?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}

/** The query parameters of `GET /executions` for the filters (undefined: not given). */
export type HistoryFilters = Readonly<
  Record<'key' | 'status' | 'command' | 'alert' | 'since' | 'until', string | undefined>
>;

/** Adds the filter options to `ar history`. */
export function addHistoryFilterOptions(cmd: Command): Command {
  return cmd
    .option('--key <key>', 'only this active-response key (firewall-drop-203.0.113.45)')
    .option('--status <status>', `only this outcome: ${EXECUTION_STATUSES.join(', ')}`)
    .option('--command <name>', 'only this AR name (firewall-drop600) or script (firewall-drop)')
    .option('--alert-id <id>', 'only the executions of this alert (its id in alerts.json)')
    .option('--since <time>', 'started at or after: ISO 8601, epoch ms, or a duration ago (15m, 2h, 7d)')
    .option('--until <time>', 'started at or before (same forms as --since)');
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration ago ("15m") as epoch ms at `now`; a time the API reads (ISO 8601, epoch ms) as given.
 * @throws RiposteError REQUEST_INVALID (usage) for anything else, naming the flag and its forms
 */
function timeParam(flag: string, text: string | undefined, now: number): string | undefined {
  if (text === undefined) {
    return undefined;
  }
  const m = /^(\d{1,9})([smhd])$/.exec(text);
  if (m !== null) {
    return String(now - Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1_000));
  }
  if (!Number.isFinite(parseApiTime(text))) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `${flag}: "${text}" is not a time: ISO 8601 (2026-12-05T10:00:00Z), epoch ms, or a duration ago (15m, 2h, 7d)`,
      { usage: true },
    );
  }
  return text;
}

/** The filters as query parameters. @throws RiposteError REQUEST_INVALID for an unknown status or time */
export function historyFilters(flags: HistoryFilterFlags, now: number): HistoryFilters {
  const status = flags.status;
  if (status !== undefined && !(EXECUTION_STATUSES as readonly string[]).includes(status)) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `--status: "${status}" is not one of ${EXECUTION_STATUSES.join(', ')}`,
      { usage: true },
    );
  }
  return {
    key: flags.key,
    status,
    command: flags.command,
    alert: flags.alertId,
    since: timeParam('--since', flags.since, now),
    until: timeParam('--until', flags.until, now),
  };
}

/** True when some filter is given. */
export function anyFilter(f: HistoryFilters): boolean {
  return Object.values(f).some((v) => v !== undefined);
}

/**
 * The filters as a test on one followed execution (the live feed is not filtered by the API).
 * `until` makes no sense on a live feed; `since` only keeps what the feed sends anyway.
 */
export function matchesFilters(f: HistoryFilters, e: ExecutionView): boolean {
  return (
    (f.key === undefined || e.key === f.key) &&
    (f.status === undefined || e.status === f.status) &&
    (f.command === undefined || e.ar_name === f.command || programName(e.program) === f.command) &&
    (f.alert === undefined || e.alert_id === f.alert)
  );
}
