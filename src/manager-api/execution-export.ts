/**
 * Filters and export formats of `GET /executions`: command (AR name or script basename), outcome,
 * key, alert id, time range (ISO 8601 or epoch ms), and `format=csv|ndjson` for downloads (times
 * in ISO 8601, like every API answer): the text of their rows, which execution-export-stream.ts
 * streams.
 * The filters go to the store (manager-console-store.ts), which applies them over the whole
 * history, most recent first.
 */
import type { FleetExecution } from '../protocol/fleet-records.js';
import { parseApiTime, toApiTimes } from '../protocol/api-times.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import type { ExecutionQuery as StoreQuery } from '../core/orders/manager-console-store.js';

export interface ExecutionQuery {
  readonly command?: string | undefined;
  readonly status?: string | undefined;
  readonly key?: string | undefined;
  readonly alert?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}

/** Epoch ms of an ISO 8601 time or a decimal epoch-ms string. @throws RiposteError REQUEST_INVALID */
export function timeOf(text: string, name: string): number {
  const t = parseApiTime(text);
  if (!Number.isFinite(t)) {
    throw new RiposteError(ErrorCode.REQUEST_INVALID, `Invalid ${name} "${text}": use ISO 8601 or epoch ms`);
  }
  return t;
}

/**
 * The store query for a request's filters (without agent, cursor and limit).
 * @throws RiposteError REQUEST_INVALID (bad time)
 */
export function storeQuery(q: ExecutionQuery): Omit<StoreQuery, 'limit'> {
  const { command, status, key, alert, since, until } = q;
  return {
    ...(command === undefined ? {} : { command }),
    ...(status === undefined ? {} : { status }),
    ...(key === undefined ? {} : { key }),
    ...(alert === undefined ? {} : { alertId: alert }),
    ...(since === undefined ? {} : { since: timeOf(since, 'since') }),
    ...(until === undefined ? {} : { until: timeOf(until, 'until') }),
  };
}

export const CSV_COLUMNS = [
  'agentId',
  'id',
  'startedAt',
  'endedAt',
  'durationMs',
  'arName',
  'program',
  'action',
  'key',
  'status',
  'exitCode',
  'signal',
  'alertId',
  'ruleId',
  'srcip',
  'user',
  'note',
  'stderrTail',
] as const;

/** One CSV field (RFC 4180); a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it. */
export function csvField(v: unknown): string {
  if (v === undefined || v === null) {
    return '';
  }
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) {
    s = `'${s}`;
  }
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(e: FleetExecution): string {
  const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    ...toApiTimes(e),
    durationMs: e.endedAt === undefined ? undefined : e.endedAt - e.startedAt,
  };
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(',');
}

/** The CSV header line, CRLF included: what a CSV export starts with. */
export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;

/** CSV lines of `items`, each ended by CRLF: one page of a streamed export (after CSV_HEADER). */
export function csvRows(items: readonly FleetExecution[]): string {
  return items.map((e) => `${csvRow(e)}\r\n`).join('');
}

/** NDJSON lines of `items`, each ended by LF: one page of a streamed export. */
export function ndjsonRows(items: readonly FleetExecution[]): string {
  return items.map((e) => `${JSON.stringify(toApiTimes(e))}\n`).join('');
}

/**
 * The whole CSV text of `items`, as the export sent it before it was streamed
 * (execution-export-stream.ts): the streamed body equals it byte for byte (tests check).
 */
export function toCsv(items: readonly FleetExecution[]): string {
  return [CSV_COLUMNS.join(','), ...items.map(csvRow)].join('\r\n') + '\r\n';
}

/** The whole NDJSON text of `items`; the streamed body equals it byte for byte, as for toCsv. */
export function toNdjson(items: readonly FleetExecution[]): string {
  return items.map((e) => JSON.stringify(toApiTimes(e))).join('\n') + (items.length > 0 ? '\n' : '');
}
