/**
 * The downloads of `GET /executions?format=csv|ndjson`: every match, EXPORT_MAX rows at most,
 * streamed to the client one store page at a time.
 *
 * Why streamed: an export used to read all its rows (up to 100,000, a page of 1,000 at a time),
 * keep them and the whole text in memory, then send it. That took gigabytes, and on the SQLite
 * store, whose reads are synchronous, it stalled the event loop for the whole export (seconds to
 * tens of seconds): alert ingest, agent links, reverts and every other request stopped meanwhile.
 * Now a page is read, turned into text and handed to the response; the next one is read only when
 * the response has taken it (stream backpressure) and after a turn of the event loop
 * (setImmediate). Memory is bounded by about one page, and other work runs between pages.
 *
 * The body is byte for byte what the whole-text forms `toCsv` / `toNdjson` give for the same rows
 * (sent chunked, without `content-length`). The first page is read before the first byte is sent,
 * so a store that fails then gets the usual error answer; a failure after that can only cut the
 * body short (the 200 is already sent): the client sees a chunked body without its end, never one
 * that looks complete.
 *
 * At most MAX_CONCURRENT_EXPORTS exports stream at once per API instance (one per process); one
 * more is refused at once, as the read limit refuses a read (read-limit.ts): DAEMON_UNREACHABLE
 * (503, CLI exit 3) with `Retry-After: 1`.
 */
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import type { FleetExecution } from '../protocol/fleet-records.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { recordRejection } from '../protocol/input-rejections.js';
import type { ExecutionPage, ExecutionQuery as StoreQuery } from '../core/orders/manager-console-store.js';
import { CSV_HEADER, csvRows, ndjsonRows } from './execution-export.js';

/** Rows an export sends at most. */
export const EXPORT_MAX = 100_000;
/** Rows read from the store at a time: what one stretch of synchronous work costs at most. */
export const EXPORT_PAGE = 500;
/** Exports streamed at once per API instance. */
export const MAX_CONCURRENT_EXPORTS = 2;
/** Seconds a refused export is told to wait. */
export const EXPORT_RETRY_AFTER_S = 1;

export type ExportFormat = 'csv' | 'ndjson';

/** One page of the store's history (`deps.service.queryExecutions`). */
export type ReadPage = (q: StoreQuery) => Promise<ExecutionPage>;

export interface ExportRequest {
  readonly read: ReadPage;
  /** Filters, agent and starting cursor; the limit is set per page. */
  readonly query: Omit<StoreQuery, 'limit'>;
  /** Rows at most. */
  readonly max: number;
  readonly format: ExportFormat;
}

const FORMATS: Readonly<Record<ExportFormat, { readonly type: string; readonly file: string }>> = {
  csv: { type: 'text/csv; charset=utf-8', file: 'executions.csv' },
  // With the charset: fastify added it to the whole-text answer, it adds none to a stream.
  ndjson: { type: 'application/x-ndjson; charset=utf-8', file: 'executions.ndjson' },
};

/**
 * The rows of `r`, a page at a time, most recent first. A page is read only when the previous one
 * has been taken, and never in the same turn of the event loop as it.
 */
async function* exportPages(r: ExportRequest): AsyncGenerator<readonly FleetExecution[]> {
  let cursor = r.query.cursor;
  let sent = 0;
  for (;;) {
    const page = await r.read({
      ...r.query,
      limit: Math.min(EXPORT_PAGE, r.max - sent),
      ...(cursor === undefined ? {} : { cursor }),
    });
    sent += page.items.length;
    cursor = page.nextCursor;
    yield page.items;
    if (cursor === undefined || sent >= r.max) {
      return;
    }
    await nextTurn();
  }
}

/** The export's text, one chunk per page (the CSV header line comes with the first page). */
export async function* exportText(r: ExportRequest): AsyncGenerator<string> {
  let head = r.format === 'csv' ? CSV_HEADER : '';
  for await (const items of exportPages(r)) {
    const text = head + (r.format === 'csv' ? csvRows(items) : ndjsonRows(items));
    head = '';
    if (text !== '') {
      yield text;
    }
  }
}

/** Counts the exports streaming; `enter` takes a slot, the function it returns gives it back. */
export interface ExportGate {
  /** Exports streamed at once at most. */
  readonly max: number;
  /** A release function (idempotent), or undefined when `max` exports already stream. */
  enter(): (() => void) | undefined;
}

export function exportGate(max = MAX_CONCURRENT_EXPORTS): ExportGate {
  let open = 0;
  return {
    max,
    enter: () => {
      if (open >= max) {
        return undefined;
      }
      open++;
      let released = false;
      return () => {
        if (!released) {
          released = true;
          open--;
        }
      };
    },
  };
}

/**
 * The body of the export `r`. Not object mode: its buffer is counted in bytes (16 KiB), so one
 * page pushed fills it, and the next page is read only once the consumer has taken it; piped to
 * a response, that is once `res.write()` stopped returning false ('drain').
 */
export function exportBody(r: ExportRequest): Readable {
  return Readable.from(exportText(r), { objectMode: false });
}

/**
 * Sends the export `r` through `reply`, holding a slot of `gate` until the body is done, failed or
 * abandoned by the client: the body's `close`, which comes once its page reads are over.
 * @throws RiposteError DAEMON_UNREACHABLE (with `retryAfterSec`) when the gate is full
 */
export function sendExport(reply: FastifyReply, r: ExportRequest, gate: ExportGate): FastifyReply {
  const release = gate.enter();
  if (release === undefined) {
    recordRejection('api', 'rate-limited');
    throw new RiposteError(
      ErrorCode.DAEMON_UNREACHABLE,
      `Too many exports at once (${gate.max}); retry after ${EXPORT_RETRY_AFTER_S} s`,
      { retryAfterSec: EXPORT_RETRY_AFTER_S },
    );
  }
  const body = exportBody(r);
  body.once('close', release);
  // Fastify destroys a body it pipes when the response closes first; this also closes one it
  // never piped (an onSend hook failed, the error answer went instead), which else kept its slot.
  reply.raw.once('close', () => body.destroy());
  const { type, file } = FORMATS[r.format];
  return reply.type(type).header('content-disposition', `attachment; filename="${file}"`).send(body);
}
